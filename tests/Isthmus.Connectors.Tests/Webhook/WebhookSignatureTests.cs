using System.Text;
using Microsoft.Extensions.Time.Testing;

namespace Isthmus.Connectors.Tests.Webhook;

public sealed class WebhookSignatureTests
{
    private const string Body = """{"id":"evt-1","type":"order.created"}""";

    [Fact]
    public void Hmac_GitHubPublishedExample_MatchesExpectedSignature()
    {
        // https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries#testing-the-webhook-payload-validation
        Assert.Equal("757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17", Hooks.Hex(Hooks.Secret, "Hello, World!"));
    }

    [Fact]
    public async Task Receive_GitHubExampleSignature_PassesAuthenticationThenRejectsNonJsonBody()
    {
        var connector = Hooks.Connect(Hooks.HmacSettings);
        var request = Hooks.Request("Hello, World!", "application/json",
            ("X-Hub-Signature-256", "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"));

        var rejection = await connector.RejectAsync(request);

        // Past authentication, so the next check (the body is JSON) is the one that fails.
        Assert.Equal(InboundRejection.Malformed, rejection.Reason);
        Assert.Equal(400, rejection.StatusCode);
    }

    [Fact]
    public async Task Receive_GitHubExampleInBase64_PassesAuthentication()
    {
        var connector = Hooks.Connect("""
            auth: { type: hmac-sha256, secret: It's a Secret to Everybody, prefix: "", encoding: base64 }
            """);
        var request = Hooks.Request("Hello, World!", "application/json", ("X-Hub-Signature-256", "dXEH6g6yUJ/CESIczphLijdXC211hsIsRvQ3nIsEPhc="));

        Assert.Equal(InboundRejection.Malformed, (await connector.RejectAsync(request)).Reason);
    }

    [Fact]
    public async Task Receive_GitHubExampleWithOneByteChanged_RejectsSignature()
    {
        var connector = Hooks.Connect(Hooks.HmacSettings);
        var request = Hooks.Request("Hello, World?", "application/json",
            ("X-Hub-Signature-256", "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"));

        var rejection = await connector.RejectAsync(request);

        Assert.Equal(InboundRejection.Unauthorized, rejection.Reason);
        Assert.Equal("signature does not match the body; check the shared secret", rejection.Message);
    }

    [Fact]
    public async Task Receive_ValidHexSignature_ReturnsEvent()
    {
        var events = await Hooks.Connect(Hooks.HmacSettings).ReceiveAsync(Hooks.Signed(Body));

        Assert.Equal("evt-1", Assert.Single(events).Id);
    }

    [Fact]
    public async Task Receive_UppercaseHexSignature_IsAccepted()
    {
        var request = Hooks.Request(Body, "application/json", ("X-Hub-Signature-256", "sha256=" + Hooks.Hex(Hooks.Secret, Body).ToUpperInvariant()));

        Assert.Single(await Hooks.Connect(Hooks.HmacSettings).ReceiveAsync(request));
    }

    [Fact]
    public async Task Receive_SignedWithAnotherSecret_RejectsWithoutRevealingSecret()
    {
        var rejection = await Hooks.Connect(Hooks.HmacSettings).RejectAsync(Hooks.Signed(Body, "wrong secret"));

        Assert.Equal(401, rejection.StatusCode);
        Assert.Equal("signature does not match the body; check the shared secret", rejection.Message);
        Assert.DoesNotContain(Hooks.Secret, rejection.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Receive_MissingSignatureHeader_RejectsNamingHeader()
    {
        var rejection = await Hooks.Connect(Hooks.HmacSettings).RejectAsync(Hooks.Request(Body));

        Assert.Equal(InboundRejection.Unauthorized, rejection.Reason);
        Assert.Equal("missing header X-Hub-Signature-256", rejection.Message);
    }

    [Theory]
    [InlineData("757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17", "must start with 'sha256='")]
    [InlineData("sha256=zz", "does not hold a hex HMAC-SHA256 after 'sha256='")]
    [InlineData("sha256=757107ea", "does not hold a hex HMAC-SHA256 after 'sha256='")]
    public async Task Receive_SignatureNotInExpectedForm_RejectsWithReason(string header, string reason)
    {
        var rejection = await Hooks.Connect(Hooks.HmacSettings).RejectAsync(Hooks.Request(Body, "application/json", ("X-Hub-Signature-256", header)));

        Assert.Equal(InboundRejection.Unauthorized, rejection.Reason);
        Assert.EndsWith(reason, rejection.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Receive_Base64SignatureInCustomHeaderWithoutPrefix_IsAccepted()
    {
        var connector = Hooks.Connect("""
            auth: { type: hmac-sha256, secret: s3cret, header: X-Signature, prefix: "", encoding: base64 }
            """);
        var request = Hooks.Request(Body, "application/json", ("X-Signature", Hooks.Base64("s3cret", Body)));

        Assert.Single(await connector.ReceiveAsync(request));
    }

    [Fact]
    public async Task Receive_Base64SignatureOverAnotherBody_Rejects()
    {
        var connector = Hooks.Connect("""
            auth: { type: hmac-sha256, secret: s3cret, header: X-Signature, prefix: "", encoding: base64 }
            """);
        var request = Hooks.Request(Body, "application/json", ("X-Signature", Hooks.Base64("s3cret", Body + " ")));

        Assert.Equal(InboundRejection.Unauthorized, (await connector.RejectAsync(request)).Reason);
    }

    [Fact]
    public async Task Receive_SignatureOverRawBytes_IsNotAffectedByJsonFormatting()
    {
        // Whitespace and key order are part of the signed bytes; nothing is re-serialised before verifying.
        const string spaced = "{ \"type\" : \"order.created\",\n  \"id\" : \"evt-1\" }";
        var events = await Hooks.Connect(Hooks.HmacSettings).ReceiveAsync(Hooks.Signed(spaced));

        Assert.Equal(spaced, Encoding.UTF8.GetString(Assert.Single(events).Data.Span));
    }
}
