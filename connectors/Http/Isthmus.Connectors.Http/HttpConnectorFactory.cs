using Isthmus.Configuration;

namespace Isthmus.Connectors.Http;

/// <summary>
/// Creates <c>http</c> connections: outbound JSON requests to one base URL, with queueing limits, a circuit breaker
/// and a per-attempt timeout. See <c>docs/connectors/http.md</c> for every setting.
/// </summary>
public sealed class HttpConnectorFactory : IConnectorFactory
{
    /// <inheritdoc/>
    public string Kind => "http";

    /// <inheritdoc/>
    public IConnector? Create(ConnectionSettings settings, ConnectorContext context) => Create(settings, context, handler: null);

    /// <summary>As <see cref="Create(ConnectionSettings, ConnectorContext)"/>, sending through <paramref name="handler"/> when given.
    /// A connection with <c>records:</c> is also an <see cref="Isthmus.Records.IRecordConnector"/>.</summary>
    internal static IOutboundConnector? Create(ConnectionSettings settings, ConnectorContext context, HttpMessageHandler? handler)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(context);

        var baseUrl = ReadBaseUrl(settings);
        var headers = new List<KeyValuePair<string, string>>(settings.StringMap("headers") ?? new Dictionary<string, string>());
        var secrets = new List<string>();
        HttpAuthSettings.Read(settings, headers, secrets);
        var timeout = settings.Duration("timeout", TimeSpan.FromSeconds(10));
        if (timeout is { } t && (t < TimeSpan.FromMilliseconds(10) || t > TimeSpan.FromDays(1)))
        {
            settings.Error("timeout", "must be from 10ms to 1d");
        }

        var maxConcurrency = settings.WholeNumber("maxConcurrency", 1, 10_000, 16);
        var rateLimit = settings.Rate("rateLimit");
        var idempotencyHeader = settings.Text("idempotencyHeader", defaultValue: "Idempotency-Key");
        if (string.IsNullOrWhiteSpace(idempotencyHeader))
        {
            settings.Error("idempotencyHeader", "must name a header");
        }

        var breaker = CircuitBreakerSettingsReader.Read(settings);
        var records = Records.RecordSettingsReader.Read(settings);
        settings.RejectUnknownKeys("kind");

        // Every problem has been reported with its location; a partly read connection is never created.
        if (settings.HasErrors || baseUrl is null || timeout is null || maxConcurrency is null || breaker is null)
        {
            return null;
        }

        var options = new HttpConnectionOptions(baseUrl, headers, secrets, timeout.Value, maxConcurrency.Value, rateLimit,
            idempotencyHeader!, breaker);
        var connector = new HttpConnector(settings.Name, options, context.Time, handler);
        return records is null ? connector : new Records.HttpRecordConnector(connector, records);
    }

    private static Uri? ReadBaseUrl(ConnectionSettings settings)
    {
        var text = settings.Text("baseUrl", required: true);
        if (text is null)
        {
            return null;
        }

        if (!Uri.TryCreate(text, UriKind.Absolute, out var url) || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps))
        {
            settings.Error("baseUrl", $"'{text}' is not an absolute http:// or https:// URL");
            return null;
        }

        if (url.UserInfo.Length > 0 || url.Query.Length > 0 || url.Fragment.Length > 0)
        {
            // Credentials in the URL would show up in every delivery message; query and fragment belong to deliveries.
            settings.Error("baseUrl", "must not hold credentials, a query or a fragment; use auth and the delivery's query");
            return null;
        }

        return url;
    }
}
