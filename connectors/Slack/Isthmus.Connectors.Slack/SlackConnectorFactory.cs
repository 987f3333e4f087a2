using Isthmus.Configuration;

namespace Isthmus.Connectors.Slack;

/// <summary>
/// Creates <c>slack</c> connections: Events API and interactivity requests in (signed with the app's signing secret),
/// Web API calls out with the bot token, and incoming webhooks. See <c>docs/connectors/slack.md</c>.
/// </summary>
public sealed class SlackConnectorFactory : IConnectorFactory
{
    /// <inheritdoc/>
    public string Kind => "slack";

    /// <inheritdoc/>
    public IConnector? Create(ConnectionSettings settings, ConnectorContext context)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(context);
        var read = SlackSettings.Read(settings);
        return read is null ? null : new SlackConnector(settings.Name, read, context);
    }
}
