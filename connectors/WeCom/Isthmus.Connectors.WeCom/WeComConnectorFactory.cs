using Isthmus.Configuration;
using Isthmus.Connectors.Chat;

namespace Isthmus.Connectors.WeCom;

/// <summary>
/// Creates <c>wecom</c> connections: an in-house WeCom (企业微信) app's callbacks and API, plus group bots.
/// See <c>docs/connectors/wecom.md</c> for every setting.
/// </summary>
public sealed class WeComConnectorFactory : IConnectorFactory
{
    /// <summary>Where the WeCom API lives unless <c>baseUrl</c> says otherwise.</summary>
    public const string DefaultBaseUrl = "https://qyapi.weixin.qq.com";

    /// <inheritdoc/>
    public string Kind => "wecom";

    /// <inheritdoc/>
    public IConnector? Create(ConnectionSettings settings, ConnectorContext context) => Create(settings, context, handler: null);

    /// <summary>As <see cref="Create(ConnectionSettings, ConnectorContext)"/>, sending through <paramref name="handler"/> when given.</summary>
    internal static WeComConnector? Create(ConnectionSettings settings, ConnectorContext context, HttpMessageHandler? handler)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(context);

        var corpId = NonEmpty(settings, "corpId");
        var agentText = NonEmpty(settings, "agentId");
        long? agentId = null;
        if (agentText is not null)
        {
            if (long.TryParse(agentText, System.Globalization.NumberStyles.None, null, out var a) && a > 0)
            {
                agentId = a;
            }
            else
            {
                settings.Error("agentId", $"'{agentText}' must be the app's AgentId, a positive whole number (e.g. 1000002)");
            }
        }

        var secret = NonEmpty(settings, "secret");
        var token = NonEmpty(settings, "token");
        var aesKey = NonEmpty(settings, "encodingAesKey");
        if (aesKey is not null && WxBizMsgCrypt.DecodeKey(aesKey) is null)
        {
            settings.Error("encodingAesKey", "must be the 43-character EncodingAESKey shown on the app's callback page");
            aesKey = null;
        }

        var baseUrl = ReadBaseUrl(settings);
        var tolerance = settings.Duration("tolerance", TimeSpan.FromMinutes(5));
        if (tolerance is { } t && t < TimeSpan.FromSeconds(1))
        {
            settings.Error("tolerance", "must be at least 1s");
        }

        var timeout = settings.Duration("timeout", TimeSpan.FromSeconds(10));
        if (timeout is { } to && (to < TimeSpan.FromMilliseconds(10) || to > TimeSpan.FromMinutes(5)))
        {
            settings.Error("timeout", "must be from 10ms to 5m");
        }

        var bots = ReadBots(settings);
        var botRate = settings.Rate("botRateLimit") ?? (20, TimeSpan.FromMinutes(1));
        var userRate = settings.Rate("userRateLimit") ?? (30, TimeSpan.FromMinutes(1));
        settings.RejectUnknownKeys("kind");

        // Every problem has been reported with its location; a partly read connection is never created.
        if (settings.HasErrors || corpId is null || agentId is null || secret is null || token is null || aesKey is null
            || baseUrl is null || tolerance is null || timeout is null || bots is null)
        {
            return null;
        }

        var options = new WeComSettings(corpId, agentId.Value, secret, token, aesKey, baseUrl, tolerance.Value, timeout.Value, bots,
            new SendRate(botRate.Item1, botRate.Item2), new SendRate(userRate.Item1, userRate.Item2));
        return new WeComConnector(settings.Name, options, context, handler);
    }

    private static string? NonEmpty(ConnectionSettings settings, string key)
    {
        var value = settings.Text(key, required: true);
        if (value is { } v && string.IsNullOrWhiteSpace(v))
        {
            // Usually an unset ${VARIABLE}.
            settings.Error(key, "must not be empty");
            return null;
        }

        return value?.Trim();
    }

    private static Uri? ReadBaseUrl(ConnectionSettings settings)
    {
        var text = settings.Text("baseUrl", defaultValue: DefaultBaseUrl)!;
        if (!Uri.TryCreate(text, UriKind.Absolute, out var url) || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps)
            || url.Query.Length > 0 || url.UserInfo.Length > 0)
        {
            settings.Error("baseUrl", $"'{text}' is not an absolute http:// or https:// URL without a query, e.g. {DefaultBaseUrl}");
            return null;
        }

        return new Uri(url.GetLeftPart(UriPartial.Path).TrimEnd('/') + "/");
    }

    private static Dictionary<string, string>? ReadBots(ConnectionSettings settings)
    {
        var section = settings.Section("bots");
        var bots = new Dictionary<string, string>(StringComparer.Ordinal);
        if (section is null)
        {
            return settings.Has("bots") ? null : bots;
        }

        foreach (var (name, _) in section.Map.Entries)
        {
            var key = section.Text(name);
            if (string.IsNullOrWhiteSpace(key))
            {
                section.Error(name, "must be the bot's webhook key (the key=… part of its webhook URL)");
                continue;
            }

            bots[name] = key.Trim();
        }

        return bots;
    }
}
