using Isthmus.Connectors.DingTalk;
using Isthmus.Connectors.Tests.Support;

namespace Isthmus.Connectors.Tests.DingTalk;

public sealed class DingTalkSettingsTests
{
    [Fact]
    public void Lists_every_missing_and_wrong_setting_with_its_place()
    {
        var (connector, errors) = Connections.Create<IConnector>(new DingTalkConnectorFactory(), """
            aesKey: too-short
            apiBaseUrl: ftp://x
            tolerance: 5y
            bots:
              ops: { secret: SECx }
            colour: blue
            """);

        Assert.Null(connector);
        var messages = errors.Select(e => e.ToString()).ToList();
        Assert.Contains(messages, m => m.Contains("'appKey' is required", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.Contains("'appSecret' is required", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.Contains("'token' is required", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.Contains("aesKey must be the 43-character", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.Contains("apiBaseUrl 'ftp://x'", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.Contains("tolerance", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.Contains("exactly one of 'webhook'", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.Contains("unknown setting 'colour'", StringComparison.Ordinal) && m.Contains("isthmus.yaml:6", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Offers_the_chat_actions()
    {
        await using var connector = Connections.CreateValid<DingTalkConnector>(new DingTalkConnectorFactory(), DingTalkRequests.Yaml);

        Assert.Equal(["send-text", "send-markdown", "send-card", "update-card", "create-todo"], ((IOutboundConnector)connector).Actions!);
    }
}
