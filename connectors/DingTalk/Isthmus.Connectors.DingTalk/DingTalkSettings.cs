using Isthmus.Configuration;
using Isthmus.Connectors.Chat;

namespace Isthmus.Connectors.DingTalk;

/// <summary>A custom group robot (自定义机器人) by name: its webhook URL and, when it signs (加签), its secret.</summary>
internal sealed record DingTalkBot(string Name, Uri Webhook, string? Secret, int Permits, TimeSpan Window);

/// <summary>The settings of a <c>dingtalk</c> connection (docs/connectors/dingtalk.md).</summary>
internal sealed record DingTalkSettings(
    string AppKey,
    string AppSecret,
    string RobotCode,
    string CallbackToken,
    string AesKey,
    string OwnerKey,
    Uri ApiBaseUrl,
    Uri OapiBaseUrl,
    string? CardTemplateId,
    string? CardCallbackRouteKey,
    TimeSpan Tolerance,
    TimeSpan Timeout,
    (int Permits, TimeSpan Window) AppRate,
    IReadOnlyDictionary<string, DingTalkBot> Bots)
{
    public const string DefaultApiBaseUrl = "https://api.dingtalk.com";
    public const string DefaultOapiBaseUrl = "https://oapi.dingtalk.com";

    /// <summary>Whose attendance the record type <c>attendance</c> reads; <c>null</c> when the connection has no <c>attendance:</c> section.</summary>
    public DingTalkAttendanceSettings? Attendance { get; init; }

    /// <summary>Reads every setting, reporting each problem with its location; <c>null</c> when any was reported.</summary>
    public static DingTalkSettings? Read(ConnectionSettings settings)
    {
        var appKey = settings.Text("appKey", required: true);
        var appSecret = settings.Text("appSecret", required: true);
        var robotCode = settings.Text("robotCode") ?? appKey;
        var token = settings.Text("token", required: true);
        var aesKey = settings.Text("aesKey", required: true);
        if (aesKey is not null && WxBizMsgCrypt.DecodeKey(aesKey) is null)
        {
            settings.Error("aesKey", "must be the 43-character aes_key shown with the event subscription");
        }

        var ownerKey = settings.Text("ownerKey") ?? appKey;
        var apiBase = Url(settings, "apiBaseUrl", DefaultApiBaseUrl);
        var oapiBase = Url(settings, "oapiBaseUrl", DefaultOapiBaseUrl);
        var template = settings.Text("cardTemplateId");
        var routeKey = settings.Text("cardCallbackRouteKey");
        var tolerance = settings.Duration("tolerance", TimeSpan.FromHours(1));
        if (tolerance is { } t && (t < TimeSpan.FromSeconds(1) || t > TimeSpan.FromDays(1)))
        {
            settings.Error("tolerance", "must be from 1s to 1d");
        }

        var timeout = settings.Duration("timeout", TimeSpan.FromSeconds(10));
        if (timeout is { } to && (to < TimeSpan.FromMilliseconds(10) || to > TimeSpan.FromMinutes(5)))
        {
            settings.Error("timeout", "must be from 10ms to 5m");
        }

        var appRate = settings.Rate("rateLimit") ?? (20, TimeSpan.FromSeconds(1));
        var bots = ReadBots(settings, oapiBase);
        var attendance = DingTalkAttendanceSettings.Read(settings);
        if (settings.HasErrors || appKey is null || appSecret is null || robotCode is null || token is null || aesKey is null
            || ownerKey is null || apiBase is null || oapiBase is null || tolerance is null || timeout is null || bots is null)
        {
            return null;
        }

        return new DingTalkSettings(appKey, appSecret, robotCode, token, aesKey, ownerKey, apiBase, oapiBase, template, routeKey,
            tolerance.Value, timeout.Value, appRate, bots) { Attendance = attendance };
    }

    private static Dictionary<string, DingTalkBot>? ReadBots(ConnectionSettings settings, Uri? oapiBase)
    {
        var bots = new Dictionary<string, DingTalkBot>(StringComparer.Ordinal);
        var section = settings.Section("bots");
        if (section is null)
        {
            return bots;
        }

        var ok = true;
        foreach (var (name, _) in section.Map.Entries)
        {
            var bot = section.Section(name, required: true);
            if (bot is null)
            {
                ok = false;
                continue;
            }

            var webhookText = bot.Text("webhook");
            var accessToken = bot.Text("accessToken");
            var secret = bot.Text("secret");
            var rate = bot.Rate("rateLimit") ?? (20, TimeSpan.FromMinutes(1));
            bot.RejectUnknownKeys();
            Uri? webhook = null;
            if ((webhookText is null) == (accessToken is null))
            {
                bot.Error(null, "needs exactly one of 'webhook' (the robot's full URL) or 'accessToken' (its access_token)");
            }
            else if (webhookText is not null)
            {
                if (!Uri.TryCreate(webhookText, UriKind.Absolute, out webhook) || webhook.Scheme is not ("http" or "https")
                    || !webhook.Query.Contains("access_token=", StringComparison.Ordinal))
                {
                    bot.Error("webhook", "must be the robot's URL, e.g. https://oapi.dingtalk.com/robot/send?access_token=…");
                    webhook = null;
                }
            }
            else if (oapiBase is not null)
            {
                webhook = new Uri(oapiBase, "robot/send?access_token=" + Uri.EscapeDataString(accessToken!));
            }

            if (webhook is null)
            {
                ok = false;
                continue;
            }

            bots[name] = new DingTalkBot(name, webhook, string.IsNullOrEmpty(secret) ? null : secret, rate.Permits, rate.Period);
        }

        return ok ? bots : null;
    }

    private static Uri? Url(ConnectionSettings settings, string key, string fallback)
    {
        var text = settings.Text(key, defaultValue: fallback)!;
        if (!Uri.TryCreate(text.TrimEnd('/') + "/", UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https")
            || url.Query.Length > 0 || url.UserInfo.Length > 0)
        {
            settings.Error(key, $"'{text}' is not an absolute http:// or https:// URL without a query");
            return null;
        }

        return url;
    }
}
