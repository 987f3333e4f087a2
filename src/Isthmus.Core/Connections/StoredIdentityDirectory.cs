using Isthmus.Connectors;
using Isthmus.Storage;

namespace Isthmus.Connections;

/// <summary>
/// The identity directory kept in the store, so a lookup made once survives restarts and can be corrected by hand.
/// Connectors are built before the store opens; until <see cref="Attach"/> it answers from memory.
/// </summary>
public sealed class StoredIdentityDirectory(TimeProvider time) : IIdentityDirectory
{
    private readonly InMemoryIdentityDirectory _early = new();
    private IStore? _store;

    /// <summary>Starts using <paramref name="store"/>.</summary>
    public void Attach(IStore store) => _store = store;

    /// <inheritdoc/>
    public async ValueTask<string?> FindAsync(string connection, string kind, string value, CancellationToken cancellationToken) =>
        _store is { } store
            ? await store.Admin.FindIdentityAsync(connection, kind, value, cancellationToken).ConfigureAwait(false)
            : await _early.FindAsync(connection, kind, value, cancellationToken).ConfigureAwait(false);

    /// <inheritdoc/>
    public async ValueTask SaveAsync(string connection, string kind, string value, string userId, string source, CancellationToken cancellationToken)
    {
        if (_store is { } store)
        {
            await store.Admin.SaveIdentityAsync(new IdentityRecord(connection, kind, value, userId, source, time.GetUtcNow()), cancellationToken).ConfigureAwait(false);
        }
        else
        {
            await _early.SaveAsync(connection, kind, value, userId, source, cancellationToken).ConfigureAwait(false);
        }
    }
}
