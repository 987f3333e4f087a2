using Isthmus.Configuration;

namespace Isthmus.Connectors.Feishu;

/// <summary>
/// Creates <c>feishu</c> (open.feishu.cn) and <c>lark</c> (open.larksuite.com) connections: the same protocol on two
/// domains; <c>baseUrl</c> overrides the domain (an emulator, a private deployment). See docs/connectors/feishu.md.
/// </summary>
/// <param name="kind"><c>feishu</c> or <c>lark</c>.</param>
/// <param name="defaultBaseUrl">The API domain used when <c>baseUrl</c> is not set.</param>
public sealed class FeishuConnectorFactory(string kind, string defaultBaseUrl) : IConnectorFactory
{
    /// <summary>Feishu (China): <c>https://open.feishu.cn</c>.</summary>
    public static FeishuConnectorFactory Feishu() => new("feishu", "https://open.feishu.cn");

    /// <summary>Lark (international): <c>https://open.larksuite.com</c>.</summary>
    public static FeishuConnectorFactory Lark() => new("lark", "https://open.larksuite.com");

    /// <inheritdoc/>
    public string Kind => kind;

    /// <inheritdoc/>
    public IConnector? Create(ConnectionSettings settings, ConnectorContext context) => Create(settings, context, handler: null);

    /// <summary>As <see cref="Create(ConnectionSettings, ConnectorContext)"/>, sending through <paramref name="handler"/> when given.</summary>
    internal FeishuConnector? Create(ConnectionSettings settings, ConnectorContext context, HttpMessageHandler? handler)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(context);
        var read = FeishuSettings.Read(settings, kind, defaultBaseUrl);
        return read is null ? null : new FeishuConnector(settings.Name, read, context, handler);
    }
}
