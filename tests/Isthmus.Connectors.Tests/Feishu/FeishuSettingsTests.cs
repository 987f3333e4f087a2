using Isthmus.Configuration;
using Isthmus.Connectors.Feishu;
using Isthmus.Connectors.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace Isthmus.Connectors.Tests.Feishu;

public sealed class FeishuSettingsTests
{
    private static (IConnector? Connector, List<ConfigError> Errors) Create(FeishuConnectorFactory factory, string yaml)
    {
        var errors = new List<ConfigError>();
        var connector = factory.Create(new ConnectionSettings("chat", factory.Kind, SettingsYaml.Parse(yaml), errors),
            new ConnectorContext(TimeProvider.System, NullLoggerFactory.Instance));
        return (connector, errors);
    }

    [Fact]
    public void Feishu_and_lark_are_two_kinds_of_one_connector()
    {
        Assert.Equal("feishu", FeishuConnectorFactory.Feishu().Kind);
        Assert.Equal("lark", FeishuConnectorFactory.Lark().Kind);
        var (connector, errors) = Create(FeishuConnectorFactory.Lark(), "appId: a\nappSecret: s\nverificationToken: v");
        Assert.Empty(errors);
        Assert.Equal(["send-text", "send-markdown", "send-card", "update-card", "create-todo"], ((IOutboundConnector)connector!).Actions!);
    }

    [Fact]
    public void Every_problem_is_reported_at_once()
    {
        var (connector, errors) = Create(FeishuConnectorFactory.Feishu(), """
            baseUrl: not a url
            appSecret: s
            tolerance: 1s
            bots:
              ops: { secret: x }
            colour: blue
            """);
        Assert.Null(connector);
        var text = string.Join("\n", errors.Select(e => e.Message));
        Assert.Contains("baseUrl", text, StringComparison.Ordinal);
        Assert.Contains("'appId' is required", text, StringComparison.Ordinal);
        Assert.Contains("'verificationToken' is required", text, StringComparison.Ordinal);
        Assert.Contains("tolerance", text, StringComparison.Ordinal);
        Assert.Contains("exactly one of 'webhook'", text, StringComparison.Ordinal);
        Assert.Contains("unknown setting 'colour'", text, StringComparison.Ordinal);
    }
}
