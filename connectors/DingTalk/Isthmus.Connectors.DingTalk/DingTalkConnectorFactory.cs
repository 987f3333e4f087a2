using Isthmus.Configuration;

namespace Isthmus.Connectors.DingTalk;

/// <summary>
/// Creates <c>dingtalk</c> connections: a DingTalk in-house app with its robot, event subscription and custom
/// group robots. See <c>docs/connectors/dingtalk.md</c> for every setting.
/// </summary>
public sealed class DingTalkConnectorFactory : IConnectorFactory
{
    /// <inheritdoc/>
    public string Kind => "dingtalk";

    /// <inheritdoc/>
    public IConnector? Create(ConnectionSettings settings, ConnectorContext context) => Create(settings, context, handler: null);

    /// <summary>As <see cref="Create(ConnectionSettings, ConnectorContext)"/>, sending through <paramref name="handler"/> when given.</summary>
    internal static IConnector? Create(ConnectionSettings settings, ConnectorContext context, HttpMessageHandler? handler)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(context);
        var read = DingTalkSettings.Read(settings);
        settings.RejectUnknownKeys("kind");
        return settings.HasErrors || read is null ? null : new DingTalkConnector(settings.Name, read, context, handler);
    }
}
