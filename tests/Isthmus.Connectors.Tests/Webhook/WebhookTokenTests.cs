namespace Isthmus.Connectors.Tests.Webhook;

public sealed class WebhookTokenTests
{
    private const string Body = """{"id":"evt-1","type":"order.created"}""";
    private const string Bearer = """
        auth: { type: token, token: t0ken, prefix: "Bearer " }
        """;

    [Fact]
    public async Task Receive_BearerTokenInAuthorization_IsAccepted()
    {
        var request = Hooks.Request(Body, "application/json", ("Authorization", "Bearer t0ken"));

        Assert.Single(await Hooks.Connect(Bearer).ReceiveAsync(request));
    }

    [Fact]
    public async Task Receive_WrongToken_RejectsWithoutRevealingToken()
    {
        var request = Hooks.Request(Body, "application/json", ("Authorization", "Bearer t0ken2"));

        var rejection = await Hooks.Connect(Bearer).RejectAsync(request);

        Assert.Equal(InboundRejection.Unauthorized, rejection.Reason);
        Assert.Equal("token in header Authorization does not match; check the configured token", rejection.Message);
    }

    [Theory]
    [InlineData("t0ken")]
    [InlineData("Bearert0ken")]
    [InlineData("Basic t0ken")]
    public async Task Receive_TokenWithoutPrefix_RejectsNamingPrefix(string header)
    {
        var rejection = await Hooks.Connect(Bearer).RejectAsync(Hooks.Request(Body, "application/json", ("Authorization", header)));

        Assert.Equal("header Authorization must start with 'Bearer '", rejection.Message);
    }

    [Fact]
    public async Task Receive_PrefixInOtherCase_IsAccepted()
    {
        Assert.Single(await Hooks.Connect(Bearer).ReceiveAsync(Hooks.Request(Body, "application/json", ("Authorization", "bearer t0ken"))));
    }

    [Fact]
    public async Task Receive_MissingTokenHeader_RejectsNamingHeader()
    {
        var rejection = await Hooks.Connect(Bearer).RejectAsync(Hooks.Request(Body));

        Assert.Equal("missing header Authorization", rejection.Message);
    }

    [Fact]
    public async Task Receive_TokenInCustomHeader_IsAccepted()
    {
        var connector = Hooks.Connect("auth: { type: token, token: t0ken, header: X-Hook-Token }");

        Assert.Single(await connector.ReceiveAsync(Hooks.Request(Body, "application/json", ("X-Hook-Token", "t0ken"))));
        Assert.Equal("missing header X-Hook-Token", (await connector.RejectAsync(Hooks.Request(Body, "application/json", ("Authorization", "t0ken")))).Message);
    }

    [Fact]
    public async Task Receive_AuthNoneWrittenExplicitly_AcceptsUnsignedCall()
    {
        Assert.Single(await Hooks.Connect("auth: { type: none }").ReceiveAsync(Hooks.Request(Body)));
    }
}
