namespace Isthmus.Connectors.Tests.AgoraChat;

public sealed class AgoraChatSettingsTests
{
    [Fact]
    public void The_documented_example_is_valid() => Assert.NotNull(Agora.Valid(Agora.Yaml));

    [Theory]
    [InlineData("orgName: org\n", "needs both orgName and appName")]
    [InlineData("clientSecret: secret\n", "needs both clientId and clientSecret")]
    [InlineData("callbackSecret: isthmus-test-secret\n", "'callbackSecret' is required")]
    [InlineData("baseUrl: https://a1.easemob.com\n", "'baseUrl' is required")]
    public void A_missing_half_is_reported(string removed, string says)
    {
        var (_, errors) = Agora.Create(Agora.Yaml.Replace(removed, "", StringComparison.Ordinal));

        Assert.Contains(errors, e => e.Message.Contains(says, StringComparison.Ordinal));
    }

    [Fact]
    public void Neither_prefix_nor_credentials_is_reported_once_each()
    {
        var (_, errors) = Agora.Create("baseUrl: https://a1.easemob.com\ncallbackSecret: s");

        Assert.Contains(errors, e => e.Message.Contains("orgName and appName", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Message.Contains("clientId and clientSecret, or appId and appCertificate", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("appCertificate: 5CFd2fd1755d40ecb72977518be15d3b", "cannot be used with clientId")]
    [InlineData("botUser: \"\"", "must not be empty")]
    [InlineData("baseUrl2: x", "unknown setting 'baseUrl2'")]
    [InlineData("groupRate: fast", "is not a rate")]
    public void Conflicting_or_invalid_settings_are_reported(string line, string says)
    {
        var (_, errors) = Agora.Create(Agora.Yaml.Replace("botUser: bot", line.StartsWith("botUser", StringComparison.Ordinal) ? line : "botUser: bot\n" + line, StringComparison.Ordinal));

        Assert.Contains(errors, e => e.Message.Contains(says, StringComparison.Ordinal));
    }

    [Fact]
    public void An_app_certificate_needs_a_32_hex_app_id_and_a_ttl_of_at_most_a_day()
    {
        var (_, errors) = Agora.Create("baseUrl: https://a1.easemob.com\nappId: short\nappCertificate: 5CFd2fd1755d40ecb72977518be15d3b\ntokenTtl: 48h\ncallbackSecret: s");

        Assert.Contains(errors, e => e.Message.Contains("32 hexadecimal characters of the App ID", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Message.Contains("at most 24 hours", StringComparison.Ordinal));
    }
}
