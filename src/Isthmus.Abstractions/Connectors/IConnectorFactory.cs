using Isthmus.Configuration;

namespace Isthmus.Connectors;

/// <summary>
/// Creates connectors of one kind (<c>webhook</c>, <c>http</c>, ...) from a connection's settings.
/// Register one per kind; the host picks it by <see cref="Kind"/>.
/// </summary>
public interface IConnectorFactory
{
    /// <summary>The value of <c>kind:</c> in a connection's configuration.</summary>
    string Kind { get; }

    /// <summary>
    /// Reads and validates the settings. Report every problem through <see cref="ConnectionSettings.Error"/>
    /// (with its source location) and return <c>null</c> when any was reported.
    /// </summary>
    IConnector? Create(ConnectionSettings settings, ConnectorContext context);
}

/// <summary>What the host lends a connector.</summary>
public sealed record ConnectorContext(TimeProvider Time, Microsoft.Extensions.Logging.ILoggerFactory Logs)
{
    /// <summary>Where chat user ids found for an email, mobile or employee id are kept (the store, when the host runs).</summary>
    public IIdentityDirectory Identities { get; init; } = new InMemoryIdentityDirectory();

    /// <summary>The folder of the main configuration file, against which relative file paths in settings are resolved; <c>null</c>: the working folder.</summary>
    public string? BaseDirectory { get; init; }
}
