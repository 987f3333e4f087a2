using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using Microsoft.Extensions.Time.Testing;

namespace Isthmus.Connectors.Tests.Http;

public sealed class HttpClassificationTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 23, 10, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Deliver_2xx_ReturnsReceiptWithStatusAndExcerpt()
    {
        var connector = Erp.Connect(FakePlatform.Answer(HttpStatusCode.Created, """{"id":"o-42"}"""));

        var receipt = await connector.DeliverAsync(Erp.Delivery());

        Assert.Equal(new DeliveryReceipt(201, """{"id":"o-42"}"""), receipt);
    }

    [Fact]
    public async Task Deliver_LongAnswer_KeepsFirst200CharactersOnOneLine()
    {
        var connector = Erp.Connect(FakePlatform.Answer(HttpStatusCode.OK, "line\n" + new string('x', 5000)));

        var receipt = await connector.DeliverAsync(Erp.Delivery());

        Assert.Equal("line " + new string('x', 195) + "…", receipt.Detail);
    }

    [Theory]
    [InlineData(HttpStatusCode.BadRequest, FailureKind.Rejected)]
    [InlineData(HttpStatusCode.Unauthorized, FailureKind.Unauthorized)]
    [InlineData(HttpStatusCode.Forbidden, FailureKind.Unauthorized)]
    [InlineData(HttpStatusCode.NotFound, FailureKind.Rejected)]
    [InlineData(HttpStatusCode.Conflict, FailureKind.Rejected)]
    [InlineData(HttpStatusCode.UnprocessableEntity, FailureKind.Rejected)]
    [InlineData(HttpStatusCode.RequestTimeout, FailureKind.Transient)]
    [InlineData(HttpStatusCode.TooManyRequests, FailureKind.RateLimited)]
    [InlineData(HttpStatusCode.InternalServerError, FailureKind.Transient)]
    [InlineData(HttpStatusCode.BadGateway, FailureKind.Transient)]
    [InlineData(HttpStatusCode.ServiceUnavailable, FailureKind.Transient)]
    [InlineData(HttpStatusCode.GatewayTimeout, FailureKind.Transient)]
    public async Task Deliver_ErrorStatus_IsClassified(HttpStatusCode status, FailureKind kind)
    {
        var failure = await Erp.Connect(FakePlatform.Answer(status, "nope")).FailAsync(Erp.Delivery());

        Assert.Equal(kind, failure.Kind);
        Assert.Equal((int)status, failure.StatusCode);
        Assert.Null(failure.RetryAfter);
    }

    [Fact]
    public async Task Deliver_500_MessageNamesCallStatusAndExcerpt()
    {
        var failure = await Erp.Connect(FakePlatform.Answer(HttpStatusCode.InternalServerError, "database is down")).FailAsync(Erp.Delivery());

        Assert.Equal("POST http://127.0.0.1:9100/orders/42 → 500 Internal Server Error: database is down", failure.Message);
    }

    [Fact]
    public async Task Deliver_429WithDeltaSeconds_IsRateLimitedWithRetryAfter()
    {
        var platform = FakePlatform.Answer(HttpStatusCode.TooManyRequests, "", r => r.Headers.RetryAfter = new RetryConditionHeaderValue(TimeSpan.FromSeconds(120)));

        var failure = await Erp.Connect(platform).FailAsync(Erp.Delivery());

        Assert.Equal(FailureKind.RateLimited, failure.Kind);
        Assert.Equal(TimeSpan.FromSeconds(120), failure.RetryAfter);
        Assert.Equal("POST http://127.0.0.1:9100/orders/42 → 429 Too Many Requests", failure.Message);
    }

    [Fact]
    public async Task Deliver_429WithHttpDate_RetryAfterIsMeasuredOnConnectionClock()
    {
        var platform = FakePlatform.Answer(HttpStatusCode.TooManyRequests, "", r => r.Headers.RetryAfter = new RetryConditionHeaderValue(Now.AddMinutes(3)));

        var failure = await Erp.Connect(platform, time: new FakeTimeProvider(Now)).FailAsync(Erp.Delivery());

        Assert.Equal(TimeSpan.FromMinutes(3), failure.RetryAfter);
    }

    [Fact]
    public async Task Deliver_503WithRetryAfter_IsTransientWithRetryAfter()
    {
        var platform = FakePlatform.Answer(HttpStatusCode.ServiceUnavailable, "maintenance", r => r.Headers.RetryAfter = new RetryConditionHeaderValue(TimeSpan.FromSeconds(30)));

        var failure = await Erp.Connect(platform).FailAsync(Erp.Delivery());

        Assert.Equal((FailureKind.Transient, TimeSpan.FromSeconds(30)), (failure.Kind, failure.RetryAfter));
    }

    [Theory]
    [InlineData("120", 120)]
    [InlineData("0", 0)]
    [InlineData("Mon, 23 Nov 2026 10:01:30 GMT", 90)]
    [InlineData("Mon, 23 Nov 2026 09:00:00 GMT", 0)]
    public void RetryAfter_BothForms_AreParsedRelativeToNow(string header, int seconds)
    {
        Assert.Equal(TimeSpan.FromSeconds(seconds), Connectors.Http.RetryAfter.Parse(header, Now));
    }

    [Theory]
    [InlineData("soon")]
    [InlineData("")]
    [InlineData(null)]
    public void RetryAfter_Unreadable_IsNull(string? header)
    {
        Assert.Null(Connectors.Http.RetryAfter.Parse(header, Now));
    }

    [Fact]
    public async Task Deliver_Redirect_IsRejectedNamingLocation()
    {
        var platform = FakePlatform.Answer(HttpStatusCode.Found, "", r => r.Headers.Location = new Uri("http://127.0.0.1:9200/elsewhere"));

        var failure = await Erp.Connect(platform).FailAsync(Erp.Delivery());

        Assert.Equal(FailureKind.Rejected, failure.Kind);
        Assert.EndsWith("(redirects are not followed; Location: http://127.0.0.1:9200/elsewhere)", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Deliver_PlatformEchoesToken_MessageHidesIt()
    {
        var platform = FakePlatform.Answer(HttpStatusCode.Unauthorized, "token s3cret-t0ken is revoked");

        var failure = await Erp.Connect(platform, "auth: { bearer: s3cret-t0ken }").FailAsync(Erp.Delivery());

        Assert.Equal("POST http://127.0.0.1:9100/orders/42 → 401 Unauthorized: token *** is revoked", failure.Message);
    }

    [Fact]
    public async Task Deliver_ConnectionRefused_IsTransient()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var errors = new List<Configuration.ConfigError>();
        var settings = new Configuration.ConnectionSettings("erp", "http", Support.SettingsYaml.Parse($"baseUrl: http://127.0.0.1:{port}"), errors);
        await using var connector = (IOutboundConnector)new Connectors.Http.HttpConnectorFactory()
            .Create(settings, new ConnectorContext(TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance))!;

        var failure = await connector.FailAsync(Erp.Delivery());

        Assert.Equal(FailureKind.Transient, failure.Kind);
        Assert.StartsWith($"POST http://127.0.0.1:{port}/orders/42 → ", failure.Message, StringComparison.Ordinal);
        Assert.Null(failure.StatusCode);
    }

    [Fact]
    public async Task Deliver_NoAnswerWithinTimeout_IsTransient()
    {
        var time = new FakeTimeProvider(Now);
        var entered = new TaskCompletionSource();
        var platform = new FakePlatform(async (_, ct) =>
        {
            entered.SetResult();
            await Task.Delay(Timeout.Infinite, ct);
            throw new InvalidOperationException("unreachable");
        });
        var connector = Erp.Connect(platform, "timeout: 2s", time);

        var delivery = connector.DeliverAsync(Erp.Delivery()).AsTask();
        await entered.Task.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        time.Advance(TimeSpan.FromSeconds(2));
        var failure = await Assert.ThrowsAsync<ConnectorException>(() => delivery);

        Assert.Equal(FailureKind.Transient, failure.Kind);
        Assert.Equal("POST http://127.0.0.1:9100/orders/42 → no response within 2 s (timeout)", failure.Message);
    }

    [Fact]
    public async Task Deliver_CancelledByHost_PropagatesCancellationUnclassified()
    {
        var platform = new FakePlatform(async (_, ct) =>
        {
            await Task.Delay(Timeout.Infinite, ct);
            throw new InvalidOperationException("unreachable");
        });
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(50));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await Erp.Connect(platform).DeliverAsync(Erp.Delivery(), cancel.Token));
    }
}
