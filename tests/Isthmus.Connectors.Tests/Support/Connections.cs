using Isthmus.Configuration;
using Microsoft.Extensions.Logging.Abstractions;

namespace Isthmus.Connectors.Tests.Support;

/// <summary>Creates a connection from YAML settings, as the host would, and keeps the errors it reported.</summary>
internal static class Connections
{
    public static (T? Connector, List<ConfigError> Errors) Create<T>(IConnectorFactory factory, string yaml, TimeProvider? time = null)
        where T : class, IConnector
    {
        var errors = new List<ConfigError>();
        var settings = new ConnectionSettings("oa", factory.Kind, SettingsYaml.Parse(yaml), errors);
        var connector = factory.Create(settings, new ConnectorContext(time ?? TimeProvider.System, NullLoggerFactory.Instance));
        Assert.Equal(errors.Count == 0, connector is not null);
        return ((T?)connector, errors);
    }

    public static T CreateValid<T>(IConnectorFactory factory, string yaml, TimeProvider? time = null)
        where T : class, IConnector
    {
        var (connector, errors) = Create<T>(factory, yaml, time);
        Assert.Empty(errors);
        return connector!;
    }
}
