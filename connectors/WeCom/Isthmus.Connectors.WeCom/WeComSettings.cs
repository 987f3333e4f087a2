namespace Isthmus.Connectors.WeCom;

/// <summary>A send limit: so many messages per window.</summary>
internal sealed record SendRate(int Permits, TimeSpan Window);

/// <summary>One WeCom connection: the in-house app (corp id, agent id, secret), its callback keys and its group bots.</summary>
/// <param name="CorpId">The corp id; also the receive id at the end of every decrypted callback.</param>
/// <param name="Token">The callback Token (signs callbacks).</param>
/// <param name="EncodingAesKey">The callback EncodingAESKey (43 characters).</param>
/// <param name="Bots">Group-bot webhook keys by the name flows use in <c>to: {bot: name}</c>.</param>
internal sealed record WeComSettings(
    string CorpId,
    long AgentId,
    string Secret,
    string Token,
    string EncodingAesKey,
    Uri BaseUrl,
    TimeSpan Tolerance,
    TimeSpan Timeout,
    IReadOnlyDictionary<string, string> Bots,
    SendRate BotRate,
    SendRate UserRate);
