namespace Isthmus.Connectors.AgoraChat;

/// <summary>How the connector gets an app token.</summary>
internal enum AgoraAuthMode
{
    /// <summary>Easemob client id and secret, <c>grant_type: client_credentials</c>.</summary>
    ClientCredentials,

    /// <summary>An Agora AccessToken2 built from App ID and App Certificate, exchanged with <c>grant_type: agora</c>.</summary>
    AgoraExchange,

    /// <summary>An Agora AccessToken2 used directly as the bearer token.</summary>
    AgoraDirect,
}

/// <summary>A connection's settings, read and checked by <see cref="AgoraChatConnectorFactory"/>.</summary>
/// <param name="ApiRoot">Base URL plus the app prefix, e.g. <c>https://a1.easemob.com/org/app</c>, no trailing slash.</param>
internal sealed record AgoraChatOptions(
    string ApiRoot,
    AgoraAuthMode Auth,
    string? ClientId,
    string? ClientSecret,
    string? AppId,
    string? AppCertificate,
    TimeSpan? TokenTtl,
    string CallbackSecret,
    string BotUser,
    TimeSpan Tolerance,
    TimeSpan Timeout,
    (int Permits, TimeSpan Period) UserRate,
    (int Permits, TimeSpan Period) GroupRate,
    (int Permits, TimeSpan Period) RewriteRate,
    int RateLimitRetries);
