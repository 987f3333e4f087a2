using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Isthmus.Connectors.WeCom;
using Isthmus.Emulation;

namespace Isthmus.Emulators.WeCom;

/// <summary>
/// A local WeCom (企业微信): <c>gettoken</c> with tokens that expire (42001), <c>message/send</c> (text, markdown,
/// template cards with a one-time <c>response_code</c>), <c>message/update_template_card</c>, <c>appchat/send</c>,
/// group-bot webhooks (20 a minute → 45009), user lookups by email and mobile (46004 when nobody matches), and
/// callbacks encrypted and signed as WeCom does. Its secrets are fixed test values, never real ones.
/// </summary>
public sealed partial class WeComEmulator(EmulatorOptions options) : PlatformEmulator(options)
{
    /// <summary>The emulated corp id (also the receive id inside every callback).</summary>
    public const string CorpId = "ww0emulator0corp";

    /// <summary>The emulated app's AgentId.</summary>
    public const long AgentId = 1000002;

    /// <summary>The emulated app's secret.</summary>
    public const string Secret = "wecom-emulator-app-secret";

    /// <summary>The emulated callback Token.</summary>
    public const string Token = "wecom-emulator-token";

    /// <summary>The emulated callback EncodingAESKey (43 characters).</summary>
    public const string EncodingAesKey = "EmulatorTestKeyNotASecretDoNotUseInProduct0";

    /// <summary>The emulated group bot's name and webhook key.</summary>
    public const string BotName = "ops";

    /// <summary>The emulated group bot's webhook key.</summary>
    public const string BotKey = "emulator-bot-key";

    private const int BotPerWindow = 20;
    private const int UserPerWindow = 30;
    private readonly ConcurrentDictionary<string, ResponseCode> _codes = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _tasks = new(StringComparer.Ordinal);
    private long _msgIds = 7_000_000_000_000_000_000;

    /// <summary>The window of the send limits (WeCom's is a minute; tests shorten it).</summary>
    public TimeSpan RateWindow { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How many sends were refused with 45009.</summary>
    public int RateLimited => _rateLimited;

    private int _rateLimited;

    /// <inheritdoc/>
    public override string Platform => "wecom";

    /// <summary>Encrypts and signs this emulator's callbacks.</summary>
    public WeComCallbackSealer Sealer { get; } = new(Token, EncodingAesKey, CorpId);

    /// <inheritdoc/>
    public override EmulatorConnection Connection() => new("wecom", new Dictionary<string, string>
    {
        ["baseUrl"] = BaseUrl,
        ["corpId"] = CorpId,
        ["agentId"] = AgentId.ToString(CultureInfo.InvariantCulture),
        ["secret"] = Secret,
        ["token"] = Token,
        ["encodingAesKey"] = EncodingAesKey,
        ["bots"] = $"{{ {BotName}: {BotKey} }}",
    });

    private int Limit(int documented) => Math.Max(1, (int)Math.Round(documented * Options.RateLimitScale));

    private sealed record ResponseCode(string MessageId, DateTimeOffset Issued)
    {
        public bool Used { get; set; }
    }

    private string IssueCode(string messageId)
    {
        var code = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        _codes[code] = new ResponseCode(messageId, State.Time.GetUtcNow());
        return code;
    }

    private string NextMsgId() => Interlocked.Increment(ref _msgIds).ToString(CultureInfo.InvariantCulture);

    private static string Nonce() => RandomNumberGenerator.GetInt32(100_000_000, int.MaxValue).ToString(CultureInfo.InvariantCulture);

    /// <summary>What a person reads on a template card.</summary>
    internal static string Flatten(JsonNode? card, string? buttonsReplacedBy = null)
    {
        var lines = new List<string>();
        void Add(string? text)
        {
            if (!string.IsNullOrEmpty(text))
            {
                lines.Add(text);
            }
        }

        Add(card?["main_title"]?["title"]?.GetValue<string>());
        Add(card?["main_title"]?["desc"]?.GetValue<string>());
        Add(card?["sub_title_text"]?.GetValue<string>());
        foreach (var field in card?["horizontal_content_list"]?.AsArray() ?? [])
        {
            Add($"{field?["keyname"]}: {field?["value"]}");
        }

        var buttons = (card?["button_list"]?.AsArray() ?? []).Select(b => $"[{b?["text"]}]").ToList();
        Add(buttonsReplacedBy is not null ? $"[{buttonsReplacedBy}]" : buttons.Count > 0 ? string.Join(" ", buttons) : null);
        return string.Join("\n", lines);
    }

    private static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);
}
