using System.Security.Cryptography;
using System.Text;
using Isthmus.Hosting;
using Isthmus.Storage;

namespace Isthmus.Api;

/// <summary>
/// API keys with roles. Only a key's SHA-256 is stored; the key itself is shown once, when it is created.
/// Keys are long random strings, so a fast hash is enough (no password stretching needed).
/// </summary>
public sealed class ApiKeys(HostState state, TimeProvider time)
{
    /// <summary>Full access: replays, dead-letter actions, flow switches, key management.</summary>
    public const string Admin = "admin";

    /// <summary>Read-only access.</summary>
    public const string Viewer = "viewer";

    private volatile IReadOnlyDictionary<string, ApiKeyRecord>? _byHash;

    /// <summary>Creates the first admin key when there is none; returns it (shown once) or <c>null</c>.</summary>
    /// <remarks><c>ISTHMUS_ADMIN_KEY</c>, when set, is used as that first key so automation can know it in advance.</remarks>
    public async Task<string?> EnsureAdminKeyAsync(CancellationToken cancellationToken)
    {
        if ((await state.Store.Admin.ListApiKeysAsync(cancellationToken)).Count > 0)
        {
            return null;
        }

        var preset = Environment.GetEnvironmentVariable("ISTHMUS_ADMIN_KEY");
        var (key, _) = await CreateAsync("first-admin", Admin, preset is { Length: >= 16 } ? preset : null, cancellationToken);
        return key;
    }

    /// <summary>Creates a key; returns the secret and its record.</summary>
    public async Task<(string Key, ApiKeyRecord Record)> CreateAsync(string name, string role, string? secret, CancellationToken cancellationToken)
    {
        var key = secret ?? "ism_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(24)).Replace('+', '-').Replace('/', '_');
        var record = new ApiKeyRecord(Guid.NewGuid().ToString("N")[..12], name, role, Hash(key), time.GetUtcNow());
        await state.Store.Admin.AddApiKeyAsync(record, cancellationToken);
        _byHash = null;
        return (key, record);
    }

    /// <summary>Forgets cached keys after a change.</summary>
    public void Invalidate() => _byHash = null;

    /// <summary>The key's record, or <c>null</c> when unknown.</summary>
    public async ValueTask<ApiKeyRecord?> FindAsync(string key, CancellationToken cancellationToken)
    {
        var byHash = _byHash;
        if (byHash is null)
        {
            byHash = (await state.Store.Admin.ListApiKeysAsync(cancellationToken)).ToDictionary(k => k.Hash, StringComparer.Ordinal);
            _byHash = byHash;
        }

        return byHash.GetValueOrDefault(Hash(key));
    }

    private static string Hash(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));
}
