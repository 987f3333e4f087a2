using Isthmus.Connectors.Slack;
using Isthmus.Connectors.Tests.Support;

namespace Isthmus.Connectors.Tests.Slack;

public sealed class SlackSettingsTests
{
    private static List<string> Errors(string yaml) =>
        Connections.Create<IConnector>(new SlackConnectorFactory(), yaml).Errors.Select(e => e.Message).ToList();

    [Fact]
    public void The_smallest_connection_is_a_bot_token_and_a_signing_secret()
    {
        var connector = Connections.CreateValid<IConnector>(new SlackConnectorFactory(), "botToken: xoxb-1\nsigningSecret: s");

        Assert.IsAssignableFrom<IInboundConnector>(connector);
        Assert.Equal(["send-text", "send-markdown", "send-card", "update-card", "create-todo"], ((IOutboundConnector)connector).Actions!);
    }

    [Fact]
    public void Both_secrets_are_required()
    {
        var errors = Errors("apiBaseUrl: https://slack.com/api");

        Assert.Contains(errors, e => e.Contains("'botToken' is required", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("'signingSecret' is required", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("botToken: \"\"\nsigningSecret: s", "botToken")]
    [InlineData("botToken: xoxb-1\nsigningSecret: s\napiBaseUrl: slack.com/api", "apiBaseUrl")]
    [InlineData("botToken: xoxb-1\nsigningSecret: s\nbots: { ops: not-a-url }", "bots.ops")]
    [InlineData("botToken: xoxb-1\nsigningSecret: s\nchannelRate: fast", "channelRate")]
    [InlineData("botToken: xoxb-1\nsigningSecret: s\ntimeout: 1ms", "timeout")]
    [InlineData("botToken: xoxb-1\nsigningSecret: s\nsigningsecret: s", "unknown setting 'signingsecret'")]
    public void A_wrong_setting_is_reported_by_name(string yaml, string named)
    {
        Assert.Contains(Errors(yaml), e => e.Contains(named, StringComparison.Ordinal));
    }
}
