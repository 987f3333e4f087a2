namespace Isthmus.Connectors.Tests.Webhook;

public sealed class WebhookRejectionTests
{
    private const string Body = """{"id":"evt-1","type":"order.created"}""";

    [Theory]
    [InlineData("application/json")]
    [InlineData("application/json; charset=utf-8")]
    [InlineData("Application/JSON;charset=\"UTF-8\"")]
    [InlineData("application/cloudevents+json")]
    [InlineData("application/vnd.github+json; charset=utf-8")]
    public async Task Receive_JsonContentTypes_AreAccepted(string contentType)
    {
        var request = Hooks.Request(Body, contentType);

        Assert.Single(await Hooks.Connect("auth: { type: none }").ReceiveAsync(request));
    }

    [Theory]
    [InlineData("text/plain", "content type 'text/plain' is not accepted; send application/json or a */*+json type")]
    [InlineData("application/x-www-form-urlencoded", "content type 'application/x-www-form-urlencoded' is not accepted; send application/json or a */*+json type")]
    [InlineData("application/json; charset=iso-8859-1", "charset 'iso-8859-1' is not accepted; send UTF-8")]
    [InlineData(null, "missing Content-Type; send Content-Type: application/json")]
    public async Task Receive_NonJsonContentType_Rejects415(string? contentType, string message)
    {
        var rejection = await Hooks.Connect("auth: { type: none }").RejectAsync(Hooks.Request(Body, contentType));

        Assert.Equal(InboundRejection.UnsupportedMediaType, rejection.Reason);
        Assert.Equal(415, rejection.StatusCode);
        Assert.Equal(message, rejection.Message);
    }

    [Fact]
    public async Task Receive_WrongContentTypeOversizedAndUnsigned_Rejects415First()
    {
        var connector = Hooks.Connect(Hooks.HmacSettings + "\nmaxBodySize: 16B");

        Assert.Equal(415, (await connector.RejectAsync(Hooks.Request(Body, "text/plain"))).StatusCode);
    }

    [Fact]
    public async Task Receive_BodyOverMaxBodySizeAndUnsigned_Rejects413BeforeAuthentication()
    {
        var connector = Hooks.Connect(Hooks.HmacSettings + "\nmaxBodySize: 16B");

        var rejection = await connector.RejectAsync(Hooks.Request(Body));

        Assert.Equal(InboundRejection.TooLarge, rejection.Reason);
        Assert.Equal(413, rejection.StatusCode);
        Assert.Equal($"body is {Body.Length} bytes; this connection accepts at most 16 bytes (maxBodySize)", rejection.Message);
    }

    [Fact]
    public async Task Receive_BodyExactlyAtMaxBodySize_IsAccepted()
    {
        var connector = Hooks.Connect($"auth: {{ type: none }}\nmaxBodySize: {Body.Length}");

        Assert.Single(await connector.ReceiveAsync(Hooks.Request(Body)));
    }

    [Fact]
    public async Task Receive_MalformedJsonWithoutSignature_Rejects401BeforeParsing()
    {
        var rejection = await Hooks.Connect(Hooks.HmacSettings).RejectAsync(Hooks.Request("{not json"));

        Assert.Equal(InboundRejection.Unauthorized, rejection.Reason);
    }

    [Theory]
    [InlineData("{\"id\":\"evt-1\",\"type\":}", "malformed JSON at line 1, byte 22: '}' is an invalid start of a value.")]
    [InlineData("{\n  \"id\": \"evt-1\",\n  \"type\" \"x\"\n}", "malformed JSON at line 3, byte 10: '\"' is invalid after a property name. Expected a ':'.")]
    [InlineData("", "body is empty; send a JSON object (one event) or an array of objects (a batch)")]
    [InlineData("[{\"id\":1,\"type\":\"t\"},", "malformed JSON at line 1, byte 21: Expected start of a property name or value, but instead reached end of data.")]
    public async Task Receive_MalformedJson_Rejects400WithLineAndByte(string body, string message)
    {
        var rejection = await Hooks.Connect(Hooks.HmacSettings).RejectAsync(Hooks.Signed(body));

        Assert.Equal(InboundRejection.Malformed, rejection.Reason);
        Assert.Equal(400, rejection.StatusCode);
        Assert.Equal(message, rejection.Message);
    }

    [Theory]
    [InlineData("""{"type":"order.created"}""", "event id not found at JSON path 'id'")]
    [InlineData("""{"id":"evt-1"}""", "event type not found at JSON path 'type'")]
    [InlineData("""{"id":{"v":1},"type":"t"}""", "event id at JSON path 'id' must be a string or number, not an object")]
    [InlineData("""{"id":[1],"type":"t"}""", "event id at JSON path 'id' must be a string or number, not an array")]
    [InlineData("""{"id":true,"type":"t"}""", "event id at JSON path 'id' must be a string or number, not a boolean")]
    [InlineData("""{"id":null,"type":"t"}""", "event id at JSON path 'id' must be a string or number, not null")]
    [InlineData("""{"id":"","type":"t"}""", "event id at JSON path 'id' is empty")]
    [InlineData("\"evt-1\"", "body must be a JSON object (one event) or an array of objects (a batch), not a string")]
    public async Task Receive_EventWithoutUsableIdOrType_Rejects400NamingPath(string body, string message)
    {
        var rejection = await Hooks.Connect("auth: { type: none }").RejectAsync(Hooks.Request(body));

        Assert.Equal(InboundRejection.Malformed, rejection.Reason);
        Assert.Equal(message, rejection.Message);
    }

    [Fact]
    public async Task Receive_KeyConfiguredButMissing_Rejects400NamingPath()
    {
        var connector = Hooks.Connect("auth: { type: none }\nkey: { path: data.orderId }");

        var rejection = await connector.RejectAsync(Hooks.Request("""{"id":"1","type":"t","data":{}}"""));

        Assert.Equal("event key not found at JSON path 'data.orderId'", rejection.Message);
    }

    [Fact]
    public async Task Receive_IdHeaderConfiguredButAbsent_Rejects400NamingHeader()
    {
        var connector = Hooks.Connect("auth: { type: none }\neventId: { header: X-Event-Id }");

        var rejection = await connector.RejectAsync(Hooks.Request(Body));

        Assert.Equal("event id not found in header X-Event-Id", rejection.Message);
    }
}
