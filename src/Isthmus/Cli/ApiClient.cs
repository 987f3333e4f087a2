using System.CommandLine;
using System.Net.Http.Headers;
using System.Text.Json;

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

    private ApiClient(string url, string? key)
    {
        _http = new HttpClient { BaseAddress = new Uri(url.TrimEnd('/') + "/api/v1/"), Timeout = TimeSpan.FromSeconds(30) };
        if (key is not null)
        {
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }
    }

    public static ApiClient From(ParseResult parse) => new(parse.GetValue(Url)!, parse.GetValue(Key));

    public static void AddOptions(Command command)
    {
        command.Options.Add(Url);
        command.Options.Add(Key);
    }

    /// <summary>GETs or POSTs <paramref name="path"/>; on an error prints the API's problem detail and returns <c>null</c>.</summary>
    public async Task<JsonElement?> SendAsync(HttpMethod method, string path, CancellationToken cancellationToken)
    {
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(new HttpRequestMessage(method, path), cancellationToken);
        }
        catch (HttpRequestException ex)
        {
            await Console.Error.WriteLineAsync($"error: cannot reach Isthmus at {_http.BaseAddress}: {ex.Message}. Is it running? Set --url or ISTHMUS_URL.");
            return null;
        }

        using (response)
        {
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            using var doc = body.Length > 0 ? JsonDocument.Parse(body) : JsonDocument.Parse("null");
            if (!response.IsSuccessStatusCode)
            {
                var detail = doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("detail", out var d) ? d.GetString() : body;
                await Console.Error.WriteLineAsync($"error: {(int)response.StatusCode} {detail}");
                return null;
            }

            return doc.RootElement.Clone();
        }
    }

    public void Dispose() => _http.Dispose();
}
