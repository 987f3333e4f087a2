using System.CommandLine;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Isthmus.Cli;

/// <summary>The CLI talks to a running Isthmus through its API, like any other client.</summary>
internal sealed class ApiClient : IDisposable
{
    public static readonly Option<string> Url = new("--url")
    {
        Description = "Isthmus base URL (env ISTHMUS_URL).",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("ISTHMUS_URL") ?? "http://127.0.0.1:8080",
    };

    public static readonly Option<string?> Key = new("--api-key")
    {
        Description = "API key (env ISTHMUS_API_KEY).",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("ISTHMUS_API_KEY"),
    };

    private readonly HttpClient _http;

    private ApiClient(string url, string? key, TimeSpan timeout)
    {
        _http = new HttpClient { BaseAddress = new Uri(url.TrimEnd('/') + "/api/v1/"), Timeout = timeout };
        if (key is not null)
        {
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }
    }

    /// <summary>A client for the URL and key given on the command line; <paramref name="timeout"/> for calls that take long (reconciliation).</summary>
    public static ApiClient From(ParseResult parse, TimeSpan? timeout = null) => new(parse.GetValue(Url)!, parse.GetValue(Key), timeout ?? TimeSpan.FromSeconds(30));

    /// <summary>Sends one call and prints its answer with <paramref name="print"/>; the command's exit code (1 when the call failed).</summary>
    public static async Task<int> RunAsync(ParseResult parse, HttpMethod method, string path, JsonNode? body, Action<JsonElement> print, CancellationToken cancellationToken,
        TimeSpan? timeout = null)
    {
        using var api = From(parse, timeout);
        var result = await api.SendAsync(method, path, body, cancellationToken);
        if (result is null)
        {
            return 1;
        }

        print(result.Value);
        return 0;
    }

    public static void AddOptions(Command command)
    {
        command.Options.Add(Url);
        command.Options.Add(Key);
    }

    /// <summary>GETs or POSTs <paramref name="path"/>; on an error prints the API's problem detail and returns <c>null</c>.</summary>
    public Task<JsonElement?> SendAsync(HttpMethod method, string path, CancellationToken cancellationToken) => SendAsync(method, path, null, cancellationToken);

    /// <summary>Sends <paramref name="body"/> as JSON (when given); on an error prints the API's problem detail and returns <c>null</c>.</summary>
    public async Task<JsonElement?> SendAsync(HttpMethod method, string path, JsonNode? body, CancellationToken cancellationToken)
    {
        HttpResponseMessage response;
        try
        {
            using var request = new HttpRequestMessage(method, path);
            if (body is not null)
            {
                request.Content = new StringContent(body.ToJsonString(), System.Text.Encoding.UTF8, "application/json");
            }

            response = await _http.SendAsync(request, cancellationToken);
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            await Console.Error.WriteLineAsync($"error: Isthmus at {_http.BaseAddress} did not answer within {_http.Timeout.TotalSeconds:0} s.");
            return null;
        }
        catch (HttpRequestException ex)
        {
            await Console.Error.WriteLineAsync($"error: cannot reach Isthmus at {_http.BaseAddress}: {ex.Message}. Is it running? Set --url or ISTHMUS_URL.");
            return null;
        }

        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            using var doc = text.Length > 0 ? JsonDocument.Parse(text) : JsonDocument.Parse("null");
            if (!response.IsSuccessStatusCode)
            {
                var detail = doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("detail", out var d) ? d.GetString() : text;
                await Console.Error.WriteLineAsync($"error: {(int)response.StatusCode} {detail}");
                return null;
            }

            return doc.RootElement.Clone();
        }
    }

    public void Dispose() => _http.Dispose();
}
