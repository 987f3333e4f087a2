using System.Net.Http.Json;
using System.Text.Json;

namespace Isthmus.Emulation;

/// <summary>The emulator's control API over HTTP, for tests (yours and ours) and scripts.</summary>
public sealed class EmulatorClient(string baseUrl) : IDisposable
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly HttpClient _http = new() { BaseAddress = new Uri(baseUrl.TrimEnd('/') + "/") };

    /// <summary>What the bot sent, oldest first.</summary>
    public async Task<IReadOnlyList<JsonElement>> SentAsync(CancellationToken cancellationToken = default) =>
        await _http.GetFromJsonAsync<List<JsonElement>>("_emulator/sent", Json, cancellationToken).ConfigureAwait(false) ?? [];

    /// <summary>Waits until a sent message matches <paramref name="match"/> (polling), or fails after <paramref name="timeout"/>.</summary>
    public async Task<JsonElement> WaitForSentAsync(Func<JsonElement, bool> match, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(15));
        while (true)
        {
            var found = (await SentAsync(cancellationToken).ConfigureAwait(false)).FirstOrDefault(match);
            if (found.ValueKind != JsonValueKind.Undefined)
            {
                return found;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("No sent message matched in time. Sent: " + JsonSerializer.Serialize(await SentAsync(cancellationToken).ConfigureAwait(false)));
            }

            await Task.Delay(50, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Adds a user to the platform.</summary>
    public async Task AddUserAsync(EmulatedUser user, CancellationToken cancellationToken = default) =>
        (await _http.PostAsJsonAsync("_emulator/users", user, Json, cancellationToken).ConfigureAwait(false)).EnsureSuccessStatusCode();

    /// <summary>Presses a button on a sent card; returns Isthmus's answer to the callback.</summary>
    public Task<CallbackRecord> PressAsync(PressRequest press, CancellationToken cancellationToken = default) =>
        PostAsync("_emulator/press", press, cancellationToken);

    /// <summary>Posts a message as a user; returns Isthmus's answer to the callback.</summary>
    public Task<CallbackRecord> SayAsync(SayRequest say, CancellationToken cancellationToken = default) =>
        PostAsync("_emulator/say", say, cancellationToken);

    /// <summary>Makes every issued token expire now.</summary>
    public async Task ExpireTokensAsync(CancellationToken cancellationToken = default) =>
        (await _http.PostAsync("_emulator/tokens/expire", null, cancellationToken).ConfigureAwait(false)).EnsureSuccessStatusCode();

    /// <summary>The callbacks made so far.</summary>
    public async Task<IReadOnlyList<CallbackRecord>> CallbacksAsync(CancellationToken cancellationToken = default) =>
        await _http.GetFromJsonAsync<List<CallbackRecord>>("_emulator/callbacks", Json, cancellationToken).ConfigureAwait(false) ?? [];

    private async Task<CallbackRecord> PostAsync<T>(string path, T body, CancellationToken cancellationToken)
    {
        using var response = await _http.PostAsJsonAsync(path, body, Json, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"{path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false)}");
        }

        return (await response.Content.ReadFromJsonAsync<CallbackRecord>(Json, cancellationToken).ConfigureAwait(false))!;
    }

    /// <inheritdoc/>
    public void Dispose() => _http.Dispose();
}
