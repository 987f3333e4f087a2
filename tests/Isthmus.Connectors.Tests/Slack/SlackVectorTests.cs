using System.Globalization;
using System.Text;
using System.Text.Json;
using Isthmus.Connectors.Slack;
using Isthmus.Connectors.Tests.Support;
using Isthmus.Emulators.Slack;
using Microsoft.Extensions.Time.Testing;

namespace Isthmus.Connectors.Tests.Slack;

/// <summary>Every Slack vector in protocols.json, reproduced by the connector and by the emulator's signing.</summary>
public sealed class SlackVectorTests
{
    public static TheoryData<string> All() => [.. Vectors.Of("slack")];

    [Fact]
    public void There_are_slack_vectors() => Assert.NotEmpty(Vectors.Of("slack"));

    [Theory]
    [MemberData(nameof(All))]
    public void The_signature_is_reproduced_by_the_connector_and_the_emulator(string id)
    {
        var v = Vectors.Get(id);
        var body = Encoding.UTF8.GetBytes(v.In("raw_body"));
        var expected = v.Out("x_slack_signature");
        var valid = !v.GetProperty("expected").TryGetProperty("valid", out var flag) || flag.GetBoolean();

        var connector = SlackSignature.Compute(v.In("signing_secret"), v.In("x_slack_request_timestamp"), body);
        var emulator = SlackEmulator.SignatureFor(v.In("signing_secret"), v.In("x_slack_request_timestamp"), body);

        Assert.Equal(connector, emulator);
        Assert.Equal(valid, connector == expected);
    }

    [Theory]
    [MemberData(nameof(All))]
    public async Task The_connector_accepts_the_vector_request_exactly_when_it_is_valid(string id)
    {
        var v = Vectors.Get(id);
        var inputs = v.GetProperty("inputs");
        var ts = v.In("x_slack_request_timestamp");
        var now = inputs.TryGetProperty("clock_now", out var clock) ? long.Parse(clock.GetString()!, CultureInfo.InvariantCulture) : long.Parse(ts, CultureInfo.InvariantCulture);
        var valid = !v.GetProperty("expected").TryGetProperty("valid", out var flag) || flag.GetBoolean();
        var raw = v.In("raw_body");
        var signature = inputs.TryGetProperty("x_slack_signature", out var given) ? given.GetString()! : v.Out("x_slack_signature");
        var request = SlackHooks.Request(Encoding.UTF8.GetBytes(raw), "application/x-www-form-urlencoded",
            (SlackSignature.TimestampHeader, ts), (SlackSignature.SignatureHeader, signature));

        if (!valid)
        {
            Assert.Throws<InboundRejectedException>(() => SlackSignature.Verify(request, v.In("signing_secret"), DateTimeOffset.FromUnixTimeSeconds(now)));
            return;
        }

        SlackSignature.Verify(request, v.In("signing_secret"), DateTimeOffset.FromUnixTimeSeconds(now));
        if (raw.StartsWith("payload=", StringComparison.Ordinal))
        {
            var yaml = $"""
                botToken: xoxb-1
                signingSecret: {v.In("signing_secret")}
                """;
            var connector = Connections.CreateValid<IInboundConnector>(new SlackConnectorFactory(), yaml, new FakeTimeProvider(DateTimeOffset.FromUnixTimeSeconds(now)));
            var inbound = await connector.ReceiveAsync(request);
            Assert.Equal(200, inbound.Reply!.StatusCode);
            Assert.Equal(0, inbound.Reply.Body.Length);
            var draft = Assert.Single(inbound.Events);
            var data = SlackHooks.Data(draft);
            Assert.Equal("card.action", draft.Type);
            Assert.Equal(v.Out("action_id"), data.GetProperty("action").GetString());
            Assert.Equal(v.Out("value"), data.GetProperty("value").GetString());
            var payload = v.GetProperty("expected").GetProperty("decoded_payload");
            Assert.Equal(payload.GetProperty("container").GetProperty("message_ts").GetString(), data.GetProperty("message").GetProperty("id").GetString());
            Assert.Equal(payload.GetProperty("container").GetProperty("channel_id").GetString(), data.GetProperty("message").GetProperty("chatId").GetString());
            Assert.Equal(payload.GetProperty("user").GetProperty("id").GetString(), data.GetProperty("user").GetProperty("id").GetString());
            Assert.Equal(payload.GetProperty("trigger_id").GetString(), draft.Id);
            Assert.Equal(v.Out("response_url"), data.GetProperty("raw").GetProperty("response_url").GetString());
            Assert.True(JsonElement.DeepEquals(payload, data.GetProperty("raw")));
        }
    }

    [Fact]
    public void A_changed_byte_or_another_secret_does_not_verify()
    {
        var v = Vectors.Get("slack-signing-secret-v0-doc");
        var ts = v.In("x_slack_request_timestamp");
        var now = DateTimeOffset.FromUnixTimeSeconds(long.Parse(ts, CultureInfo.InvariantCulture));
        var tampered = SlackHooks.Request(Encoding.UTF8.GetBytes(v.In("raw_body") + "x"), "application/x-www-form-urlencoded",
            (SlackSignature.TimestampHeader, ts), (SlackSignature.SignatureHeader, v.Out("x_slack_signature")));
        var genuine = tampered with { Body = Encoding.UTF8.GetBytes(v.In("raw_body")) };

        SlackSignature.Verify(genuine, v.In("signing_secret"), now);
        Assert.Equal(InboundRejection.Unauthorized, Assert.Throws<InboundRejectedException>(() => SlackSignature.Verify(tampered, v.In("signing_secret"), now)).Reason);
        Assert.Equal(InboundRejection.Unauthorized, Assert.Throws<InboundRejectedException>(() => SlackSignature.Verify(genuine, "another-secret", now)).Reason);
    }
}
