using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Isthmus.Connectors.Http;
using Isthmus.Connectors.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace Isthmus.Connectors.Tests.Http;

/// <summary>Against a real socket on 127.0.0.1: what actually goes over the wire.</summary>
public sealed class HttpLoopbackTests
{
    private const string TraceParent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    [Fact]
    public async Task Deliver_ToLoopbackServer_SendsExactRequestAndReadsReceipt()
    {
        var ct = TestContext.Current.CancellationToken;
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var server = ServeOnceAsync(listener, "HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nContent-Length: 13\r\nConnection: close\r\n\r\n{\"id\":\"o-42\"}", ct);

        var errors = new List<Configuration.ConfigError>();
        var settings = new Configuration.ConnectionSettings("erp", "http", SettingsYaml.Parse($"""
            baseUrl: http://127.0.0.1:{port}
            auth: {"{"} bearer: t0ken {"}"}
            headers: {"{"} X-Tenant: acme {"}"}
            """), errors);
        await using var connector = (IOutboundConnector)new HttpConnectorFactory().Create(settings, new ConnectorContext(TimeProvider.System, NullLoggerFactory.Instance))!;
        Assert.Empty(errors);

        // An ambient trace whose state and baggage automatic propagation would have added to the delivery's own trace.
        using var ambient = new Activity("ambient").SetIdFormat(ActivityIdFormat.W3C).AddBaggage("tenant", "other").Start();
        ambient.TraceStateString = "vendor=ambient";
        var receipt = await connector.DeliverAsync(
            new Delivery(42, "erp", "request", """{"method":"POST","path":"/orders/42","query":{"expand":"lines"},"body":{"total":12.5}}"""u8.ToArray(), "idem-42", 1, TraceParent), ct);
        var (head, body) = await server.WaitAsync(TimeSpan.FromSeconds(10), ct);

        var lines = head.Split("\r\n");
        Assert.Equal("POST /orders/42?expand=lines HTTP/1.1", lines[0]);
        Assert.Contains($"Host: 127.0.0.1:{port}", lines);
        Assert.Contains("Authorization: Bearer t0ken", lines);
        Assert.Contains("X-Tenant: acme", lines);
        Assert.Contains("Idempotency-Key: idem-42", lines);
        Assert.Contains("Content-Type: application/json", lines);
        Assert.Equal([$"traceparent: {TraceParent}"], lines.Where(l => l.StartsWith("traceparent:", StringComparison.OrdinalIgnoreCase)));
        Assert.DoesNotContain(lines, l => l.StartsWith("tracestate:", StringComparison.OrdinalIgnoreCase) || l.StartsWith("baggage:", StringComparison.OrdinalIgnoreCase));
        Assert.Equal("""{"total":12.5}""", body);
        Assert.Equal(new DeliveryReceipt(201, """{"id":"o-42"}"""), receipt);
    }

    /// <summary>Accepts one connection, reads one HTTP/1.1 request (head and Content-Length body), writes <paramref name="response"/>.</summary>
    private static async Task<(string Head, string Body)> ServeOnceAsync(TcpListener listener, string response, CancellationToken ct)
    {
        using var client = await listener.AcceptTcpClientAsync(ct);
        var stream = client.GetStream();
        var received = new List<byte>();
        var buffer = new byte[4096];
        int headEnd;
        while ((headEnd = IndexOf(received, "\r\n\r\n"u8)) < 0)
        {
            var n = await stream.ReadAsync(buffer, ct);
            Assert.True(n > 0, "connection closed before the request head ended");
            received.AddRange(buffer.AsSpan(0, n));
        }

        var head = Encoding.ASCII.GetString(received.ToArray(), 0, headEnd);
        var lengthLine = head.Split("\r\n").Single(l => l.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase));
        var length = int.Parse(lengthLine["Content-Length:".Length..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
        while (received.Count < headEnd + 4 + length)
        {
            var n = await stream.ReadAsync(buffer, ct);
            Assert.True(n > 0, "connection closed before the body ended");
            received.AddRange(buffer.AsSpan(0, n));
        }

        await stream.WriteAsync(Encoding.ASCII.GetBytes(response), ct);
        return (head, Encoding.UTF8.GetString(received.ToArray(), headEnd + 4, length));
    }

    private static int IndexOf(List<byte> bytes, ReadOnlySpan<byte> pattern) =>
        System.Runtime.InteropServices.CollectionsMarshal.AsSpan(bytes).IndexOf(pattern);
}
