using Isthmus.Configuration;

namespace Isthmus.Connectors.Feishu;

/// <summary>A custom group bot (incoming webhook) by name: its webhook URL and, when signing is on, its secret.</summary>
public sealed record FeishuBot(string Name, Uri Webhook, string? Secret);

/// <summary>The settings of a <c>feishu</c> or <c>lark</c> connection (docs/connectors/feishu.md).</summary>
/// <param name="Platform"><c>feishu</c> or <c>lark</c>, as written in <c>kind:</c>.</param>
public sealed record FeishuSettings(
    string Platform,
    Uri BaseUrl,
    string AppId,
    string AppSecret,
    string VerificationToken,
    string? EncryptKey,
    TimeSpan Tolerance,
    TimeSpan Timeout,
    IReadOnlyDictionary<string, FeishuBot> Bots)
{
    /// <summary>Reads the settings, reporting each problem at its location; <c>null</c> when any was reported.</summary>
    public static FeishuSettings? Read(ConnectionSettings settings, string platform, string defaultBaseUrl)
    {
        var baseUrl = Url(settings, "baseUrl", settings.Text("baseUrl", defaultValue: defaultBaseUrl)!);
        var appId = settings.Text("appId", required: true);
        var appSecret = settings.Text("appSecret", required: true);
        var verificationToken = settings.Text("verificationToken", required: true);
        var encryptKey = settings.Text("encryptKey");
        if (encryptKey is { Length: 0 })
        {
            settings.Error("encryptKey", "is empty; remove it when the app has no Encrypt Key");
        }

        var tolerance = settings.Duration("tolerance", TimeSpan.FromMinutes(5));
        if (tolerance is { } t && (t < TimeSpan.FromSeconds(10) || t > TimeSpan.FromHours(1)))
        {
            settings.Error("tolerance", "must be from 10s to 1h");
        }

        var timeout = settings.Duration("timeout", TimeSpan.FromSeconds(10));
        if (timeout is { } o && (o < TimeSpan.FromMilliseconds(100) || o > TimeSpan.FromMinutes(5)))
        {
            settings.Error("timeout", "must be from 100ms to 5m");
        }

        var bots = new Dictionary<string, FeishuBot>(StringComparer.Ordinal);
        if (settings.Section("bots") is { } section)
        {
            foreach (var (name, _) in section.Map.Entries)
            {
                if (section.Section(name, required: true) is not { } bot)
                {
                    continue;
                }

                var webhook = bot.Text("webhook");
                var token = bot.Text("token");
                var secret = bot.Text("secret");
                bot.RejectUnknownKeys();
                if ((webhook is null) == (token is null))
                {
                    bot.Error(null, "needs exactly one of 'webhook' (the bot's full URL) or 'token' (the part after /bot/v2/hook/)");
                    continue;
                }

                var url = webhook is not null ? Url(bot, "webhook", webhook)
                    : baseUrl is null ? null : new Uri(baseUrl, "open-apis/bot/v2/hook/" + Uri.EscapeDataString(token!));
                if (url is not null)
                {
                    bots[name] = new FeishuBot(name, url, secret is { Length: > 0 } ? secret : null);
                }
            }
        }

        settings.RejectUnknownKeys("kind");
        if (settings.HasErrors || baseUrl is null || appId is null || appSecret is null || verificationToken is null || tolerance is null || timeout is null)
        {
            return null;
        }

        return new FeishuSettings(platform, baseUrl, appId, appSecret, verificationToken, encryptKey, tolerance.Value, timeout.Value, bots);
    }

    private static Uri? Url(ConnectionSettings settings, string key, string text)
    {
        if (!Uri.TryCreate(text, UriKind.Absolute, out var url) || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps))
        {
            settings.Error(key, $"'{text}' is not an absolute http:// or https:// URL");
            return null;
        }

        if (key == "baseUrl" && (url.Query.Length > 0 || url.UserInfo.Length > 0))
        {
            settings.Error(key, "must not hold credentials or a query");
            return null;
        }

        // A base URL is joined with relative paths: make sure it ends with a slash.
        return key == "baseUrl" && !url.AbsolutePath.EndsWith('/') ? new Uri(url + "/") : url;
    }
}
