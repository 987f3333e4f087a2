using Isthmus.Configuration;

namespace Isthmus.Connectors.Webhook;

/// <summary>
/// Creates <c>webhook</c> connections: inbound JSON events authenticated by an HMAC signature, a token, or
/// (written explicitly) nothing. See <c>docs/connectors/webhook.md</c> for every setting.
/// </summary>
public sealed class WebhookConnectorFactory : IConnectorFactory
{
    private const long DefaultMaxBodySize = 1 << 20;

    /// <inheritdoc/>
    public string Kind => "webhook";

    /// <inheritdoc/>
    public IConnector? Create(ConnectionSettings settings, ConnectorContext context)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(context);

        var auth = WebhookAuthSettings.Read(settings);
        var id = FieldSettings.Read(settings, "eventId", FieldOrigins.Header | FieldOrigins.Path, FieldSource.AtPath("id"));
        var type = FieldSettings.Read(settings, "eventType", FieldOrigins.Header | FieldOrigins.Path | FieldOrigins.Value, FieldSource.AtPath("type"));
        var key = FieldSettings.Read(settings, "key", FieldOrigins.Header | FieldOrigins.Path, null);
        var entity = settings.Text("entity");
        var time = FieldSettings.Read(settings, "time", FieldOrigins.Header | FieldOrigins.Path, null);
        var data = FieldSettings.Read(settings, "data", FieldOrigins.Path, null);
        var maxBodySize = settings.Size("maxBodySize", DefaultMaxBodySize);
        if (maxBodySize is 0)
        {
            settings.Error("maxBodySize", "must be more than 0 bytes");
        }

        if (entity is { Length: 0 })
        {
            settings.Error("entity", "must not be empty");
        }

        settings.RejectUnknownKeys("kind");

        // The readers have reported every problem with its location; a partly read connection is never created.
        if (settings.HasErrors || auth is null || id is null || type is null || maxBodySize is null)
        {
            return null;
        }

        var reader = new EventReader(id, type, key, entity, time, data?.Path);
        return new WebhookConnector(settings.Name, auth, reader, maxBodySize.Value, context.Time);
    }
}
