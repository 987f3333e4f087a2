namespace Isthmus.Connectors.Chat;

/// <summary>An access token and how long the platform said it lives.</summary>
public sealed record AccessToken(string Value, TimeSpan Lifetime);

/// <summary>
/// Keeps one app's access token: fetched on first use, refreshed before it expires (when less than a fifth of its
/// life, at most five minutes, is left), and dropped when the platform answers "token expired" so the next call
/// fetches a new one. Concurrent callers share one fetch.
/// </summary>
public sealed class AccessTokenCache(Func<CancellationToken, Task<AccessToken>> fetch, TimeProvider time) : IDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private string? _value;
    private DateTimeOffset _refreshAt;

    /// <summary>How many times a token was fetched (for tests and metrics).</summary>
    public int Fetches { get; private set; }

    /// <summary>A token valid for a while yet.</summary>
    public async ValueTask<string> GetAsync(CancellationToken cancellationToken)
    {
        if (_value is { } current && time.GetUtcNow() < _refreshAt)
        {
            return current;
        }

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_value is { } fresh && time.GetUtcNow() < _refreshAt)
            {
                return fresh;
            }

            var token = await fetch(cancellationToken).ConfigureAwait(false);
            Fetches++;
            var margin = TimeSpan.FromTicks(Math.Min(token.Lifetime.Ticks / 5, TimeSpan.FromMinutes(5).Ticks));
            _refreshAt = time.GetUtcNow() + token.Lifetime - margin;
            _value = token.Value;
            return token.Value;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Makes <paramref name="call"/> with a token. When the platform's answer says that token is no good
    /// (<paramref name="tokenRejected"/>), the token is dropped and the call made once more, at once, with a fresh one;
    /// that second answer is returned whatever it says, for the caller to classify.
    /// </summary>
    public async Task<T> CallAsync<T>(Func<string, Task<T>> call, Func<T, bool> tokenRejected, CancellationToken cancellationToken)
    {
        var token = await GetAsync(cancellationToken).ConfigureAwait(false);
        var answer = await call(token).ConfigureAwait(false);
        if (!tokenRejected(answer))
        {
            return answer;
        }

        Invalidate(token);
        return await call(await GetAsync(cancellationToken).ConfigureAwait(false)).ConfigureAwait(false);
    }

    /// <summary>Forgets <paramref name="rejected"/> (the platform said it expired or is invalid); a newer token is kept.</summary>
    public void Invalidate(string rejected)
    {
        if (string.Equals(_value, rejected, StringComparison.Ordinal))
        {
            _value = null;
        }
    }

    /// <inheritdoc/>
    public void Dispose() => _gate.Dispose();
}
