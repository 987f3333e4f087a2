using System.Runtime.InteropServices;
using System.Text;

namespace Isthmus.Connectors.Tests.Webhook;

public sealed class WebhookEventTests
{
    private const string Open = "auth: { type: none }";

    private static string Text(ReadOnlyMemory<byte> data) => Encoding.UTF8.GetString(data.Span);

    [Fact]
    public async Task Receive_DefaultSettings_TakesIdAndTypeFromBodyAndWholeBodyAsData()
    {
        const string body = """{"id":"evt-1","type":"order.created","data":{"orderId":42}}""";

        var e = Assert.Single(await Hooks.Connect(Open).ReceiveAsync(Hooks.Request(body)));

        Assert.Equal(("evt-1", "order.created", null, null, null), (e.Id, e.Type, e.Key, e.Entity, e.Time));
        Assert.Equal(body, Text(e.Data));
        Assert.Equal("evt-1", e.EffectiveDedupKey);
    }

    [Fact]
    public async Task Receive_WholeBodyAsData_SlicesTheReceivedBytesWithoutCopying()
    {
        var body = Encoding.UTF8.GetBytes("""  {"id":"evt-1","type":"t"}  """);

        var e = Assert.Single(await Hooks.Connect(Open).ReceiveAsync(Hooks.Request(body)));

        Assert.True(MemoryMarshal.TryGetArray(e.Data, out var segment));
        Assert.Same(body, segment.Array);
        Assert.Equal("""{"id":"evt-1","type":"t"}""", Text(e.Data));
    }

    [Fact]
    public async Task Receive_IdFromHeader_UsesHeaderValue()
    {
        var connector = Hooks.Connect(Open + "\neventId: { header: X-Event-Id }");

        var e = Assert.Single(await connector.ReceiveAsync(Hooks.Request("""{"type":"t"}""", "application/json", ("X-Event-Id", "d-77"))));

        Assert.Equal("d-77", e.Id);
    }

    [Theory]
    [InlineData("42", "42")]
    [InlineData("12345678901234567890123", "12345678901234567890123")]
    [InlineData("1.50", "1.50")]
    [InlineData("\"0042\"", "0042")]
    public async Task Receive_NumericIdAndKey_AreTakenAsTheirText(string json, string expected)
    {
        var connector = Hooks.Connect(Open + "\nkey: { path: data.orderId }");

        var e = Assert.Single(await connector.ReceiveAsync(Hooks.Request($$$"""{"id":{{{json}}},"type":"t","data":{"orderId":{{{json}}}}}""")));

        Assert.Equal((expected, expected), (e.Id, e.Key));
    }

    [Fact]
    public async Task Receive_FixedTypeEntityKeyTimeAndDataPaths_AreExtracted()
    {
        var connector = Hooks.Connect("""
            auth: { type: none }
            eventId: { path: meta.eventId }
            eventType: { value: approval.updated }
            key: { path: data.orderId }
            entity: Order
            time: { path: occurredAt }
            data: { path: data }
            """);
        const string body = """{"meta":{"eventId":"m-1"},"type":"ignored","occurredAt":"2026-11-23T10:15:00+08:00","data":{"orderId":"o-9","total":12.5}}""";

        var e = Assert.Single(await connector.ReceiveAsync(Hooks.Request(body)));

        Assert.Equal(("m-1", "approval.updated", "o-9", "Order"), (e.Id, e.Type, e.Key, e.Entity));
        Assert.Equal(new DateTimeOffset(2026, 11, 23, 2, 15, 0, TimeSpan.Zero), e.Time);
        Assert.Equal("""{"orderId":"o-9","total":12.5}""", Text(e.Data));
    }

    [Fact]
    public async Task Receive_TimePathAbsent_LeavesTimeForTheHost()
    {
        var e = Assert.Single(await Hooks.Connect(Open + "\ntime: { path: occurredAt }").ReceiveAsync(Hooks.Request("""{"id":"1","type":"t"}""")));

        Assert.Null(e.Time);
    }

    [Fact]
    public async Task Receive_TimeNotIso8601_Rejects400()
    {
        var rejection = await Hooks.Connect(Open + "\ntime: { path: occurredAt }").RejectAsync(Hooks.Request("""{"id":"1","type":"t","occurredAt":"yesterday"}"""));

        Assert.Equal("event time at JSON path 'occurredAt' is not an ISO-8601 time: 'yesterday'", rejection.Message);
    }

    [Fact]
    public async Task Receive_DataPathAbsent_Rejects400()
    {
        var rejection = await Hooks.Connect(Open + "\ndata: { path: payload }").RejectAsync(Hooks.Request("""{"id":"1","type":"t"}"""));

        Assert.Equal("event data not found at JSON path 'payload'", rejection.Message);
    }

    [Fact]
    public async Task Receive_PathWithArrayIndex_ReadsArrayElement()
    {
        var connector = Hooks.Connect(Open + "\nkey: { path: lines.1.sku }");

        var e = Assert.Single(await connector.ReceiveAsync(Hooks.Request("""{"id":"1","type":"t","lines":[{"sku":"a"},{"sku":"b"}]}""")));

        Assert.Equal("b", e.Key);
    }

    [Fact]
    public async Task Receive_ArrayOfObjects_ReturnsEveryEventInOrder()
    {
        const string body = """[{"id":"1","type":"a","n":1},{"id":2,"type":"b","n":2}]""";

        var events = await Hooks.Connect(Hooks.HmacSettings).ReceiveAsync(Hooks.Signed(body));

        Assert.Equal(["1", "2"], events.Select(e => e.Id));
        Assert.Equal(["a", "b"], events.Select(e => e.Type));
        Assert.Equal("""{"id":2,"type":"b","n":2}""", Text(events[1].Data));
    }

    [Fact]
    public async Task Receive_BatchWithOneInvalidEvent_RejectsWholeBatchNamingPosition()
    {
        var rejection = await Hooks.Connect(Open).RejectAsync(Hooks.Request("""[{"id":"1","type":"a"},{"type":"b"}]"""));

        Assert.Equal(InboundRejection.Malformed, rejection.Reason);
        Assert.Equal("event [1]: event id not found at JSON path 'id'", rejection.Message);
    }

    [Fact]
    public async Task Receive_BatchHoldingNonObject_Rejects400()
    {
        var rejection = await Hooks.Connect(Open).RejectAsync(Hooks.Request("""[{"id":"1","type":"a"},42]"""));

        Assert.Equal("event [1]: must be a JSON object, not a number", rejection.Message);
    }

    [Fact]
    public async Task Receive_BatchWithIdFromHeader_GivesEachEventADistinctId()
    {
        var connector = Hooks.Connect(Open + "\neventId: { header: X-Event-Id }");

        var events = await connector.ReceiveAsync(Hooks.Request("""[{"type":"a"},{"type":"b"}]""", "application/json", ("X-Event-Id", "d-1")));

        Assert.Equal(["d-1#0", "d-1#1"], events.Select(e => e.Id));
    }

    [Fact]
    public async Task Receive_EmptyArray_ReturnsNoEvents()
    {
        Assert.Empty(await Hooks.Connect(Open).ReceiveAsync(Hooks.Request("[]")));
    }
}
