using System.Net;

namespace Isthmus.Connectors.Tests.Http;

public sealed class HttpRequestTests
{
    private static async Task<FakePlatform.Received> SendAsync(string payload, string settings = "", string? traceParent = null)
    {
        var platform = FakePlatform.Answer(HttpStatusCode.OK);
        await Erp.Connect(platform, settings).DeliverAsync(Erp.Delivery(payload, traceParent: traceParent));
        return Assert.Single(platform.Calls);
    }

    [Fact]
    public async Task Deliver_Payload_SendsMethodUrlBodyAndDeliveryHeaders()
    {
        var call = await SendAsync("""{"method":"put","path":"/orders/42","body":{"total": 12.5}}""",
            traceParent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");

        Assert.Equal(HttpMethod.Put, call.Request.Method);
        Assert.Equal("http://127.0.0.1:9100/orders/42", call.Request.RequestUri!.ToString());
        Assert.Equal("""{"total": 12.5}""", call.Body);
        Assert.Equal("application/json", call.Header("Content-Type"));
        Assert.Equal("idem-42", call.Header("Idempotency-Key"));
        Assert.Equal("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", call.Header("traceparent"));
    }

    [Fact]
    public async Task Deliver_NoTraceParentNoBody_SendsNeither()
    {
        var call = await SendAsync("""{"method":"DELETE","path":"orders/42"}""");

        Assert.Null(call.Header("traceparent"));
        Assert.Null(call.Request.Content);
        Assert.Equal("http://127.0.0.1:9100/orders/42", call.Request.RequestUri!.ToString());
    }

    [Fact]
    public async Task Deliver_QueryObject_IsEscapedAndAppended()
    {
        var call = await SendAsync("""{"path":"/orders?view=full","query":{"q":"a b&c","n":3,"tag":["x","y"]}}""");

        Assert.Equal("http://127.0.0.1:9100/orders?view=full&q=a%20b%26c&n=3&tag=x&tag=y", call.Request.RequestUri!.AbsoluteUri);
        Assert.Equal(HttpMethod.Post, call.Request.Method);
    }

    [Fact]
    public async Task Deliver_StaticBearerAndPayloadHeaders_AreAllSent()
    {
        var call = await SendAsync("""{"path":"/x","headers":{"X-Request":"r1","Content-Type":"application/merge-patch+json"},"body":{}}""",
            "auth: { bearer: t0ken }\nheaders: { X-Tenant: acme }");

        Assert.Equal(("Bearer t0ken", "acme", "r1"), (call.Header("Authorization"), call.Header("X-Tenant"), call.Header("X-Request")));
        Assert.Equal("application/merge-patch+json", call.Header("Content-Type"));
    }

    [Fact]
    public async Task Deliver_HeaderValueAuth_SendsNamedHeader()
    {
        var call = await SendAsync("""{"path":"/x"}""", "auth: { header: X-Api-Key, value: k3y }");

        Assert.Equal("k3y", call.Header("X-Api-Key"));
        Assert.Null(call.Header("Authorization"));
    }

    [Fact]
    public async Task Deliver_PayloadTriesToReplaceIdempotencyKey_DeliveryKeyWins()
    {
        var call = await SendAsync("""{"path":"/x","headers":{"Idempotency-Key":"forged","Host":"evil"}}""", "idempotencyHeader: X-Idempotency-Key");

        Assert.Equal("idem-42", call.Header("X-Idempotency-Key"));
        Assert.Equal("127.0.0.1:9100", call.Request.RequestUri!.Authority);
    }

    [Fact]
    public async Task Deliver_FullUrlUnderBase_IsAccepted()
    {
        var call = await SendAsync("""{"path":"http://127.0.0.1:9100/orders/7"}""");

        Assert.Equal("/orders/7", call.Request.RequestUri!.AbsolutePath);
    }

    [Fact]
    public async Task Deliver_BaseUrlWithPath_PrefixesDeliveryPath()
    {
        var platform = FakePlatform.Answer(HttpStatusCode.OK);
        var errors = new List<Configuration.ConfigError>();
        var connector = Connectors.Http.HttpConnectorFactory.Create(
            new Configuration.ConnectionSettings("erp", "http", Support.SettingsYaml.Parse("baseUrl: http://127.0.0.1:9100/api/v2/"), errors),
            new ConnectorContext(TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance), platform)!;

        await connector.DeliverAsync(Erp.Delivery("""{"path":"/orders/7"}"""));
        var failure = await connector.FailAsync(Erp.Delivery("""{"path":"../../admin"}"""));

        Assert.Equal("http://127.0.0.1:9100/api/v2/orders/7", Assert.Single(platform.Calls).Request.RequestUri!.ToString());
        Assert.Equal(FailureKind.Rejected, failure.Kind);
    }

    [Theory]
    [InlineData("""{"path":"http://169.254.169.254/latest"}""", "delivery 42: refusing to send to http://169.254.169.254/latest: it is not under the connection's baseUrl http://127.0.0.1:9100/")]
    [InlineData("""{"path":"https://127.0.0.1:9100/x"}""", "delivery 42: refusing to send to https://127.0.0.1:9100/x: it is not under the connection's baseUrl http://127.0.0.1:9100/")]
    [InlineData("""{"method":"POST"}""", "delivery 42: payload has no 'path'")]
    [InlineData("""{"path":"/x","bdy":{}}""", "delivery 42: payload has unknown field 'bdy'; expected method, path, query, headers, body")]
    [InlineData("""{"path":"/x","method":"PO ST"}""", "delivery 42: payload method 'PO ST' is not an HTTP method")]
    [InlineData("""{"path":"/x","headers":{"X":{"a":1}}}""", "delivery 42: payload 'headers.X' must be a string, number or boolean, not object")]
    [InlineData("""[1]""", "delivery 42: payload must be a JSON object {\"method\",\"path\",\"query\",\"headers\",\"body\"}")]
    [InlineData("""{"path":""", "delivery 42: payload is not JSON (line 1, byte 9)")]
    public async Task Deliver_UnusablePayload_IsRejectedWithoutSending(string payload, string message)
    {
        var platform = FakePlatform.Answer(HttpStatusCode.OK);

        var failure = await Erp.Connect(platform).FailAsync(Erp.Delivery(payload));

        Assert.Equal((FailureKind.Rejected, message), (failure.Kind, failure.Message));
        Assert.Empty(platform.Calls);
    }

    [Fact]
    public async Task Deliver_UnsupportedAction_IsRejectedNamingSupportedOnes()
    {
        var failure = await Erp.Connect(FakePlatform.Answer(HttpStatusCode.OK)).FailAsync(Erp.Delivery(action: "send"));

        Assert.Equal(FailureKind.Rejected, failure.Kind);
        Assert.Equal("delivery 42: action 'send' is not supported by http connections; supported: request", failure.Message);
    }
}
