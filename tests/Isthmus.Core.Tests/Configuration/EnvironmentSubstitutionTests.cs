using Isthmus.Configuration;

namespace Isthmus.Tests.Configuration;

public class EnvironmentSubstitutionTests
{
    private static readonly Dictionary<string, string> Variables = new() { ["ERP_URL"] = "http://erp:9100", ["PORT"] = "8081", ["EMPTY"] = "" };

    private static string? Lookup(string name) => Variables.GetValueOrDefault(name);

    [Fact]
    public void Load_Reference_IsReplacedInEveryScalar()
    {
        var config = Configs.Valid("""
            server: { listen: "http://127.0.0.1:${PORT}" }
            connections:
              erp: { kind: http, baseUrl: "${ERP_URL}/api", token: "${ERP_TOKEN:-dev-token}", blank: "${EMPTY:-none}" }
            """, Lookup);
        Assert.Equal("http://127.0.0.1:8081", config.Server.Listen);
        var erp = config.Connections[0].Settings;
        Assert.Equal(["http://erp:9100/api", "dev-token", "none"], new[] { "baseUrl", "token", "blank" }.Select(k => ((SettingScalar)erp[k]!).Value));
    }

    [Fact]
    public void Load_DoubleDollar_WritesALiteralReference()
    {
        var config = Configs.Valid("connections:\n  erp: { kind: http, note: \"$${PORT} costs $5, ${PORT}\" }\n", Lookup);
        Assert.Equal("${PORT} costs $5, 8081", ((SettingScalar)config.Connections[0].Settings["note"]!).Value);
    }

    [Fact]
    public void Load_TextThatIsNotAVariableName_IsLeftAlone()
    {
        var config = Configs.Valid("connections:\n  erp: { kind: http, note: \"${data.x} ${1X} ${\" }\n", Lookup);
        Assert.Equal("${data.x} ${1X} ${", ((SettingScalar)config.Connections[0].Settings["note"]!).Value);
    }

    [Fact]
    public void Load_MissingVariables_AreEachReportedAtTheirScalar() =>
        Assert.Equal(
        [
            "isthmus.yaml:2:29: environment variable 'ERP_TOKEN' is not set; set it, or give a default with ${ERP_TOKEN:-default}",
            "isthmus.yaml:5:10: environment variable 'CRM_URL' is not set; set it, or give a default with ${CRM_URL:-default}",
        ],
        Configs.Errors("connections:\n  erp: { kind: http, token: \"${ERP_TOKEN}\" }\n  crm:\n    kind: http\n    url: ${CRM_URL}\n", Lookup));

    [Fact]
    public void Load_SubstitutedPlainScalar_IsTypedLikeAnyPlainScalar()
    {
        var config = Configs.Valid(Configs.Flow("trigger: { connection: oa }\nsteps:\n  - action: a\n    connection: erp\n    port: ${PORT}"), Lookup);
        var payload = ((Isthmus.Flows.ActionStep)config.Flows[0].Steps[0]).Payload;
        using var scope = config.Expressions.CreateScope(new(new(), "{}"u8.ToArray(), DateTimeOffset.UnixEpoch));
        Assert.Equal("""{"port":8081}""", scope.Render(payload)!.ToJsonString());
    }
}
