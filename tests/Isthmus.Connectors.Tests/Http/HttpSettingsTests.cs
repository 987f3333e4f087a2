using Isthmus.Connectors.Http;
using Isthmus.Connectors.Tests.Support;

namespace Isthmus.Connectors.Tests.Http;

public sealed class HttpSettingsTests
{
    private static List<string> Errors(string yaml) =>
        [.. Connections.Create<IOutboundConnector>(new HttpConnectorFactory(), yaml).Errors.Select(e => e.ToString().Replace("'oa'", "'erp'", StringComparison.Ordinal))];

    [Fact]
    public async Task Create_FullExampleFromDocs_HasNoErrors()
    {
        var (connector, errors) = Connections.Create<IOutboundConnector>(new HttpConnectorFactory(), """
            kind: http
            baseUrl: http://127.0.0.1:9100
            auth:
              bearer: t0ken
            headers: { X-Tenant: acme }
            timeout: 10s
            maxConcurrency: 16
            rateLimit: 100/s
            idempotencyHeader: Idempotency-Key
            circuitBreaker:
              failureRatio: 0.5
              minimumThroughput: 20
              samplingDuration: 30s
              breakDuration: 15s
            """);

        Assert.Empty(errors);
        Assert.Equal("oa", connector!.Connection);
        await connector.DisposeAsync();
    }

    [Fact]
    public void Create_BaseUrlMissing_IsRequired()
    {
        Assert.Equal(["isthmus.yaml:1:1: connection 'erp': 'baseUrl' is required"], Errors("timeout: 10s"));
    }

    [Theory]
    [InlineData("ftp://127.0.0.1/x", "'ftp://127.0.0.1/x' is not an absolute http:// or https:// URL")]
    [InlineData("/orders", "'/orders' is not an absolute http:// or https:// URL")]
    [InlineData("http://user:pw@127.0.0.1:9100", "must not hold credentials, a query or a fragment; use auth and the delivery's query")]
    [InlineData("http://127.0.0.1:9100/?tenant=a", "must not hold credentials, a query or a fragment; use auth and the delivery's query")]
    public void Create_BaseUrlNotUsable_ReportsAtValue(string url, string error)
    {
        Assert.Equal([$"isthmus.yaml:1:10: connection 'erp': baseUrl {error}"], Errors($"baseUrl: {url}"));
    }

    [Theory]
    [InlineData("timeout: soon", "isthmus.yaml:2:10: connection 'erp': timeout 'soon' is not a duration; write e.g. 500ms, 10s, 5m or 1h")]
    [InlineData("timeout: 1ms", "isthmus.yaml:2:10: connection 'erp': timeout must be from 10ms to 1d")]
    [InlineData("maxConcurrency: 0", "isthmus.yaml:2:17: connection 'erp': maxConcurrency '0' must be a whole number from 1 to 10000")]
    [InlineData("rateLimit: fast", "isthmus.yaml:2:12: connection 'erp': rateLimit 'fast' is not a rate; write e.g. 100/s, 600/m or 10/1s")]
    [InlineData("idempotencyHeader: \"\"", "isthmus.yaml:2:20: connection 'erp': idempotencyHeader must name a header")]
    [InlineData("retries: 3", "isthmus.yaml:2:10: connection 'erp': unknown setting 'retries'")]
    [InlineData("headers: { X-Tenant: { a: b } }", "isthmus.yaml:2:22: connection 'erp': headers.X-Tenant must be a single value, not a list or mapping")]
    public void Create_InvalidSetting_ReportsAtValue(string line, string error)
    {
        Assert.Equal([error], Errors("baseUrl: http://127.0.0.1:9100\n" + line));
    }

    [Theory]
    [InlineData("auth: { bearer: t, header: X-Api-Key, value: k }", "isthmus.yaml:2:7: connection 'erp': auth: write either bearer, or header and value, not both")]
    [InlineData("auth: { header: X-Api-Key }", "isthmus.yaml:2:17: connection 'erp': auth.header needs 'value' too")]
    [InlineData("auth: { value: k }", "isthmus.yaml:2:16: connection 'erp': auth.value needs 'header' too")]
    [InlineData("auth: { bearer: \"\" }", "isthmus.yaml:2:17: connection 'erp': auth.bearer must not be empty")]
    [InlineData("auth: { basic: x }", "isthmus.yaml:2:16: connection 'erp': unknown setting 'auth.basic'")]
    public void Create_InvalidAuth_ReportsAtLocation(string line, string error)
    {
        Assert.Contains(error, Errors("baseUrl: http://127.0.0.1:9100\n" + line));
    }

    [Fact]
    public void Create_CircuitBreakerOutOfRange_ReportsEachAtItsValue()
    {
        Assert.Equal(
        [
            "isthmus.yaml:3:17: connection 'erp': circuitBreaker.failureRatio '1.5' must be a number above 0 and at most 1, e.g. 0.5",
            "isthmus.yaml:4:22: connection 'erp': circuitBreaker.minimumThroughput '1' must be a whole number from 2 to 2147483647",
            "isthmus.yaml:5:21: connection 'erp': circuitBreaker.samplingDuration must be from 500ms to 1d",
            "isthmus.yaml:6:18: connection 'erp': circuitBreaker.breakDuration must be from 500ms to 1d",
            "isthmus.yaml:7:12: connection 'erp': unknown setting 'circuitBreaker.enabled'",
        ], Errors("""
            baseUrl: http://127.0.0.1:9100
            circuitBreaker:
              failureRatio: 1.5
              minimumThroughput: 1
              samplingDuration: 100ms
              breakDuration: 2d
              enabled: false
            """));
    }
}
