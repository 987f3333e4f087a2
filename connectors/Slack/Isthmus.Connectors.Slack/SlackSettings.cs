using Isthmus.Configuration;

namespace Isthmus.Connectors.Slack;

/// <summary>A <c>slack</c> connection's settings (docs/connectors/slack.md).</summary>
/// <param name="BotToken">The bot user OAuth token (<c>xoxb-…</c>).</param>
/// <param name="SigningSecret">The app's signing secret, for inbound requests.</param>
/// <param name="ApiBaseUrl">The Web API's base, <c>https://slack.com/api</c> unless pointed at an emulator.</param>
/// <param name="Bots">Incoming webhook URLs by name, for <c>to: {bot: name}</c>.</param>
/// <param name="Timeout">Per API call.</param>
/// <param name="ChannelRate">chat.postMessage sends per channel (Slack: about one a second).</param>
internal sealed record SlackSettings(
    string BotToken,
    string SigningSecret,
    Uri ApiBaseUrl,
    IReadOnlyDictionary<string, Uri> Bots,
    TimeSpan Timeout,
    (int Permits, TimeSpan Period) ChannelRate)
{
    public const string DefaultApiBaseUrl = "https://slack.com/api";

    /// <summary>Reads the settings, reporting every problem at its location; <c>null</c> when any was reported.</summary>
    public static SlackSettings? Read(ConnectionSettings settings)
    {
        var token = settings.Text("botToken", required: true);
        if (token is { Length: 0 })
        {
            settings.Error("botToken", "must be the app's Bot User OAuth Token (xoxb-…), from OAuth & Permissions");
        }

        var secret = settings.Text("signingSecret", required: true);
        if (secret is { Length: 0 })
        {
            settings.Error("signingSecret", "must not be empty");
        }

        var api = Url(settings, "apiBaseUrl", settings.Text("apiBaseUrl", defaultValue: DefaultApiBaseUrl)!);
        var bots = new Dictionary<string, Uri>(StringComparer.Ordinal);
        if (settings.Section("bots") is { } section)
        {
            foreach (var (name, _) in section.Map.Entries)
            {
                if (section.Text(name) is { } text && Url(section, name, text) is { } url)
                {
                    bots[name] = url;
                }
            }
        }

        var timeout = settings.Duration("timeout", TimeSpan.FromSeconds(10));
        if (timeout is { } t && (t < TimeSpan.FromMilliseconds(100) || t > TimeSpan.FromMinutes(5)))
        {
            settings.Error("timeout", "must be from 100ms to 5m");
        }

        var rate = settings.Rate("channelRate") ?? (1, TimeSpan.FromSeconds(1));
        settings.RejectUnknownKeys("kind");
        return settings.HasErrors || token is null || secret is null || api is null || timeout is null
            ? null
            : new SlackSettings(token, secret, api, bots, timeout.Value, rate);
    }

    private static Uri? Url(ConnectionSettings settings, string key, string text)
    {
        if (Uri.TryCreate(text, UriKind.Absolute, out var url) && url.Scheme is "https" or "http" && string.IsNullOrEmpty(url.UserInfo))
        {
            return url;
        }

        settings.Error(key, $"'{text}' must be an absolute http(s) URL");
        return null;
    }
}
