using Microsoft.Extensions.Time.Testing;

namespace Isthmus.Connectors.Tests.Webhook;

public sealed class WebhookTimestampTests
{
    private const string Body = """{"id":"evt-1","type":"order.created"}""";
    private const string Settings = """
        auth:
          type: hmac-sha256
          secret: s3cret
          header: X-Signature
          prefix: "v1="
          timestampHeader: X-Timestamp
        """;

    private readonly FakeTimeProvider _time = new(DateTimeOffset.FromUnixTimeSeconds(1_700_000_000));

    private static InboundRequest Call(string timestamp, string? signedTimestamp = null, string body = Body) =>
        Hooks.Request(body, "application/json",
            ("X-Timestamp", timestamp),
            ("X-Signature", "v1=" + Hooks.Hex("s3cret", $"{signedTimestamp ?? timestamp}.{body}")));

    [Theory]
    [InlineData(0)]
    [InlineData(-299)]
    [InlineData(300)]
    public async Task Receive_TimestampWithinTolerance_IsAccepted(int offsetSeconds)
    {
        var time = new FakeTimeProvider(DateTimeOffset.FromUnixTimeSeconds(1_700_000_000 + offsetSeconds));

        Assert.Single(await Hooks.Connect(Settings, time).ReceiveAsync(Call("1700000000")));
    }

    [Fact]
    public async Task Receive_TimestampInMilliseconds_IsAccepted()
    {
        Assert.Single(await Hooks.Connect(Settings, _time).ReceiveAsync(Call("1700000000123")));
    }

    [Fact]
    public async Task Receive_TimestampAnHourOld_RejectsAsStaleWithSkewAndTolerance()
    {
        var connector = Hooks.Connect(Settings, _time);
        _time.Advance(TimeSpan.FromHours(1));

        var rejection = await connector.RejectAsync(Call("1700000000"));

        Assert.Equal(InboundRejection.StaleTimestamp, rejection.Reason);
        Assert.Equal(401, rejection.StatusCode);
        Assert.Equal("stale_timestamp", rejection.ReasonCode);
        Assert.Equal("timestamp 1700000000 is 3600 s from server time; tolerance is 300 s", rejection.Message);
    }

    [Fact]
    public async Task Receive_TimestampJustOutsideCustomTolerance_RejectsAsStale()
    {
        var connector = Hooks.Connect(Settings + "\n  tolerance: 30s", _time);
        _time.Advance(TimeSpan.FromSeconds(31));

        var rejection = await connector.RejectAsync(Call("1700000000"));

        Assert.Equal("timestamp 1700000000 is 31 s from server time; tolerance is 30 s", rejection.Message);
    }

    [Fact]
    public async Task Receive_SignatureOverBodyOnlyWhenTimestampConfigured_Rejects()
    {
        var request = Hooks.Request(Body, "application/json", ("X-Timestamp", "1700000000"), ("X-Signature", "v1=" + Hooks.Hex("s3cret", Body)));

        var rejection = await Hooks.Connect(Settings, _time).RejectAsync(request);

        Assert.Equal("signature does not match the body; check the shared secret", rejection.Message);
    }

    [Fact]
    public async Task Receive_TimestampChangedAfterSigning_RejectsSignatureNotStaleness()
    {
        // A replayed call with a fresh timestamp but the old signature must fail on the signature.
        var rejection = await Hooks.Connect(Settings, _time).RejectAsync(Call("1700000001", signedTimestamp: "1699990000"));

        Assert.Equal(InboundRejection.Unauthorized, rejection.Reason);
    }

    [Fact]
    public async Task Receive_MissingTimestampHeader_RejectsNamingHeader()
    {
        var request = Hooks.Request(Body, "application/json", ("X-Signature", "v1=" + Hooks.Hex("s3cret", Body)));

        var rejection = await Hooks.Connect(Settings, _time).RejectAsync(request);

        Assert.Equal(InboundRejection.Unauthorized, rejection.Reason);
        Assert.Equal("missing header X-Timestamp", rejection.Message);
    }

    [Fact]
    public async Task Receive_TimestampNotANumber_RejectsWithFormat()
    {
        var rejection = await Hooks.Connect(Settings, _time).RejectAsync(Call("2023-11-14T22:13:20Z"));

        Assert.Equal("header X-Timestamp must be unix time in seconds or milliseconds, not '2023-11-14T22:13:20Z'", rejection.Message);
    }
}
