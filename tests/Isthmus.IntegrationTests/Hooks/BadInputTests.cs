using System.Net;
using System.Text;
using Isthmus.IntegrationTests.Support;

namespace Isthmus.IntegrationTests.Hooks;

/// <summary>Each bad inbound call gets its precise answer and changes nothing.</summary>
public sealed class BadInputTests() : IsthmusTest(Forward("/received"))
{
    private async Task AssertRejected(HttpResponseMessage response, HttpStatusCode status, string reason, string detailFragment)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"expected {status}, got {response.StatusCode}: {body}");
        Assert.Contains($"\"reason\":\"{reason}\"", body, StringComparison.Ordinal);
        Assert.Contains(detailFragment, body, StringComparison.OrdinalIgnoreCase);
        var events = await App.GetJsonAsync("/api/v1/events");
        Assert.Equal(0, events.GetProperty("items").GetArrayLength());
        Assert.Empty(App.Sink.Requests);
    }

    [Fact]
    public async Task MalformedJson_Is400WithPosition() =>
        await AssertRejected(await App.SendRawAsync(Encoding.UTF8.GetBytes("{\"id\":\"1\",\"type\":")), HttpStatusCode.BadRequest, "malformed", "line");

    [Fact]
    public async Task MissingSignature_Is401() =>
        await AssertRejected(await App.SendAsync(new { id = "1", type = "t" }, r => r.Headers.Remove("X-Hub-Signature-256")),
            HttpStatusCode.Unauthorized, "unauthorized", "X-Hub-Signature-256");

    [Fact]
    public async Task WrongSignature_Is401()
    {
        var response = await App.SendAsync(new { id = "1", type = "t" }, r =>
        {
            r.Headers.Remove("X-Hub-Signature-256");
            r.Headers.Add("X-Hub-Signature-256", Signing.HubSignature("another-secret", [1, 2, 3]));
        });
        await AssertRejected(response, HttpStatusCode.Unauthorized, "unauthorized", "signature");
    }

    [Fact]
    public async Task StaleTimestamp_Is401()
    {
        var body = Encoding.UTF8.GetBytes("{\"id\":\"1\",\"type\":\"t\"}");
        var old = DateTimeOffset.UtcNow.AddHours(-1).ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);
        var response = await App.SendRawAsync(body, r =>
        {
            r.Headers.Remove("X-Timestamp");
            r.Headers.Remove("X-Hub-Signature-256");
            r.Headers.Add("X-Timestamp", old);
            r.Headers.Add("X-Hub-Signature-256", Signing.HubSignature(IsthmusApplication.Secret, Encoding.UTF8.GetBytes(old + ".").Concat(body).ToArray()));
        });
        await AssertRejected(response, HttpStatusCode.Unauthorized, "stale_timestamp", "timestamp");
    }

    [Fact]
    public async Task UnknownConnection_Is404() =>
        await AssertRejected(await App.SendRawAsync(Encoding.UTF8.GetBytes("{}"), hook: "nope"), HttpStatusCode.NotFound, "unknown_connection", "oa");

    [Fact]
    public async Task BodyTooLarge_Is413()
    {
        var big = Encoding.UTF8.GetBytes("{\"id\":\"1\",\"type\":\"t\",\"data\":\"" + new string('x', 70_000) + "\"}");
        await AssertRejected(await App.SendRawAsync(big), HttpStatusCode.RequestEntityTooLarge, "too_large", "larger");
    }

    [Fact]
    public async Task WrongContentType_Is415() =>
        await AssertRejected(await App.SendAsync(new { id = "1", type = "t" }, r => r.Content!.Headers.ContentType = new("text/plain")),
            HttpStatusCode.UnsupportedMediaType, "unsupported_media_type", "application/json");

    [Fact]
    public async Task MissingEventId_Is400() =>
        await AssertRejected(await App.SendAsync(new { type = "t" }), HttpStatusCode.BadRequest, "malformed", "id");
}
