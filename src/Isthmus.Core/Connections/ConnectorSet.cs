using Isthmus.Configuration;
using Isthmus.Connectors;

namespace Isthmus.Connections;

/// <summary>The live connectors of one configuration, by connection name.</summary>
public sealed class ConnectorSet : IAsyncDisposable
{
    private readonly Dictionary<string, IConnector> _connectors;

    private ConnectorSet(Dictionary<string, IConnector> connectors) => _connectors = connectors;

    /// <summary>Every connector, by connection name.</summary>
    public IReadOnlyDictionary<string, IConnector> All => _connectors;

    /// <summary>
    /// Creates a connector for each connection with the factory of its kind; every problem is added to
    /// <paramref name="errors"/> with its location. Returns <c>null</c> when there was any.
    /// </summary>
    public static ConnectorSet? Build(IReadOnlyList<ConnectionDefinition> connections, IEnumerable<IConnectorFactory> factories,
        ConnectorContext context, List<ConfigError> errors)
    {
        var byKind = factories.ToDictionary(f => f.Kind, StringComparer.OrdinalIgnoreCase);
        var built = new Dictionary<string, IConnector>(StringComparer.Ordinal);
        var before = errors.Count;
        foreach (var connection in connections)
        {
            if (!byKind.TryGetValue(connection.Kind, out var factory))
            {
                errors.Add(new ConfigError(connection.Location,
                    $"connection '{connection.Name}': unknown kind '{connection.Kind}'; available kinds: {string.Join(", ", byKind.Keys.Order())}"));
                continue;
            }

            // Each connection gets its own error list, so one broken connection does not make a factory refuse another.
            var own = new List<ConfigError>();
            var settings = new ConnectionSettings(connection.Name, connection.Kind, connection.Settings, own);
            settings.Text("kind");
            if (factory.Create(settings, context) is { } connector)
            {
                built[connection.Name] = connector;
            }

            errors.AddRange(own);
        }

        if (errors.Count > before)
        {
            foreach (var c in built.Values)
            {
                c.DisposeAsync().AsTask().GetAwaiter().GetResult();
            }

            return null;
        }

        return new ConnectorSet(built);
    }

    /// <summary>The connector for <paramref name="connection"/>, if it has that ability.</summary>
    public T? Get<T>(string connection)
        where T : class, IConnector =>
        _connectors.TryGetValue(connection, out var c) ? c as T : null;

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        foreach (var connector in _connectors.Values)
        {
            await connector.DisposeAsync().ConfigureAwait(false);
        }
    }
}
