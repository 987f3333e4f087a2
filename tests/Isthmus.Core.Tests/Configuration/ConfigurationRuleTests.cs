namespace Isthmus.Tests.Configuration;

public class ConfigurationRuleTests
{
    private const string Step = "steps:\n  - transform: t\n    value: 1";

    [Fact]
    public void Load_YamlSyntaxError_ReportsWhereTheParserStopped() =>
        Assert.Equal(["isthmus.yaml:3:2: this is not valid YAML: While parsing a block mapping, did not find expected key. Check the indentation of this line against the lines above it."],
            Configs.Errors("server:\n  listen: x\n maxBodySize: 1MB\n"));

    [Fact]
    public void Load_UnclosedQuote_ReportsSyntaxError() =>
        Assert.StartsWith("isthmus.yaml:1:9: this is not valid YAML", Assert.Single(Configs.Errors("server: 'abc\n")), StringComparison.Ordinal);

    [Fact]
    public void Load_UnknownKeys_AreReportedAtEveryLevelWithTheAllowedKeys()
    {
        var errors = Configs.Errors(Configs.Connections + """
            servr: {}
            server:
              listn: x
            flows:
              x:
                trigger: { connection: oa, evnt: "a.*" }
                steps2: []
                steps:
                  - if: "true"
                    then: []
                    els: []
            """);
        Assert.Equal(
        [
            "isthmus.yaml:4:1: unknown key 'servr' in the top level of isthmus.yaml; did you mean 'server'? expected one of: server, store, deliveries, include, codeTables, connections, flows, entities",
            "isthmus.yaml:6:3: unknown key 'listn' in the 'server' section; did you mean 'listen'? expected one of: listen, maxBodySize",
            "isthmus.yaml:9:32: unknown key 'evnt' in the trigger of flows.x; did you mean 'event'? expected one of: connection, event, schedule, timeZone",
            "isthmus.yaml:10:5: unknown key 'steps2' in flow 'x'; did you mean 'steps'? expected one of: description, enabled, trigger, when, onlyOnChange, steps",
            "isthmus.yaml:14:9: unknown key 'els' in if step at flows.x.steps[0]; did you mean 'else'? expected one of: if, name, then, else",
        ], errors);
    }

    [Fact]
    public void Load_WrongTypes_SayWhatToWrite()
    {
        var errors = Configs.Errors(Configs.Connections + """
            server: [a]
            deliveries:
              maxAttempts: many
              baseDelay: soon
            flows:
              x:
                enabled: maybe
                trigger: oa
                steps: { a: 1 }
            """);
        Assert.Equal(
        [
            "isthmus.yaml:4:1: server: must be a mapping (indented 'key: value' lines), not a list",
            "isthmus.yaml:6:16: deliveries.maxAttempts: 'many' is not a whole number from 1 to 1000",
            "isthmus.yaml:7:14: deliveries.baseDelay: 'soon' is not a duration; write e.g. 500ms, 10s, 5m, 1h or 7d",
            "isthmus.yaml:10:14: flows.x.enabled: 'maybe' is not true or false",
            "isthmus.yaml:11:14: flows.x.trigger: must be a mapping (indented 'key: value' lines), not 'oa'",
            "isthmus.yaml:12:5: flows.x.steps: must be a list (lines starting with '- ', or [a, b]), not a mapping",
        ], errors);
    }

    [Fact]
    public void Load_MissingRequiredKeys_AreReported()
    {
        var errors = Configs.Errors("""
            connections:
              erp: { baseUrl: x }
            flows:
              x:
                when: "true"
            """);
        Assert.Equal(
        [
            "isthmus.yaml:2:8: connections.erp.kind is required in connection 'erp'; add e.g. kind: http",
            "isthmus.yaml:5:5: flows.x.trigger is required in flow 'x'; add e.g. trigger: { connection: oa, event: \"approval.*\" }",
            "isthmus.yaml:5:5: flows.x.steps is required in flow 'x'; add e.g. steps: [ { action: notify, connection: erp, body: \"=data\" } ]",
        ], errors);
    }

    [Fact]
    public void Load_DuplicateKey_NamesBothLocations() =>
        Assert.Equal(["isthmus.yaml:3:3: key 'listen' appears twice in the same mapping (first at isthmus.yaml:2:3); keep only one"],
            Configs.Errors("server:\n  listen: http://a:1\n  listen: http://b:2\n"));

    [Theory]
    [InlineData("trigger: { connection: oa, schedule: \"* * * * *\" }", "isthmus.yaml:6:42: flows.f.trigger.schedule: a trigger is either events")]
    [InlineData("trigger: { event: \"a.*\", schedule: \"* * * * *\" }", "isthmus.yaml:6:40: flows.f.trigger.schedule: a trigger is either events")]
    [InlineData("trigger: { timeZone: UTC }", "isthmus.yaml:6:14: flows.f.trigger: say what starts the flow")]
    [InlineData("trigger: { schedule: \"61 * * * *\" }", "isthmus.yaml:6:26: flows.f.trigger.schedule: '61 * * * *' is not a valid cron expression")]
    [InlineData("trigger: { schedule: \"* * *\" }", "isthmus.yaml:6:26: flows.f.trigger.schedule: '* * *' has 3 fields; write 5")]
    [InlineData("trigger: { schedule: \"* * * * *\", timeZone: Mars/Base }", "isthmus.yaml:6:49: flows.f.trigger.timeZone: unknown time zone 'Mars/Base'")]
    [InlineData("trigger: { connection: oa, timeZone: UTC }", "isthmus.yaml:6:42: flows.f.trigger.timeZone: timeZone applies only to a schedule")]
    [InlineData("trigger: { connection: crm }", "isthmus.yaml:6:28: flows.f.trigger.connection: there is no connection 'crm'; declared: erp, oa")]
    public void Load_BadTrigger_IsReported(string trigger, string expected) =>
        Assert.StartsWith(expected, Assert.Single(Configs.Errors(Configs.Flow(trigger + "\n" + Step))), StringComparison.Ordinal);

    [Fact]
    public void Load_ActionOnUnknownConnection_IsReported() =>
        Assert.Equal(["isthmus.yaml:9:21: flows.f.steps[0].connection: there is no connection 'crm'; declared: erp, oa"],
            Configs.Errors(Configs.Flow("trigger: { connection: oa }\nsteps:\n  - action: a\n    connection: crm")));

    [Fact]
    public void Load_DuplicateStepNames_IncludingNested_AreReported() =>
        Assert.Equal(["isthmus.yaml:12:24: flows.f.steps[1].then[0].transform: step name 't' is already used in flow 'f' (at isthmus.yaml:8:20); give each step its own name, since later steps read steps.<name>"],
            Configs.Errors(Configs.Flow("trigger: { connection: oa }\nsteps:\n  - transform: t\n    value: 1\n  - if: data.x\n    then:\n      - transform: t\n        value: 2")));

    [Theory]
    [InlineData("  - transform: t\n    action: a\n    value: 1", "isthmus.yaml:9:9: flows.f.steps[0]: a step is exactly one of transform, action or if, but this one has 'transform' and 'action'")]
    [InlineData("  - value: 1", "isthmus.yaml:8:9: flows.f.steps[0]: a step needs one of 'transform: <name>', 'action: <name>' or 'if: <condition>'; it has: value")]
    [InlineData("  - just-text", "isthmus.yaml:8:9: flows.f.steps[0]: a step must be a mapping")]
    [InlineData("  - transform: t", "isthmus.yaml:8:9: flows.f.steps[0].value is required")]
    [InlineData("  - if: data.a", "isthmus.yaml:8:9: flows.f.steps[0].then is required")]
    public void Load_MalformedStep_IsReported(string steps, string expected) =>
        Assert.StartsWith(expected, Assert.Single(Configs.Errors(Configs.Flow("trigger: { connection: oa }\nsteps:\n" + steps))), StringComparison.Ordinal);

    [Fact]
    public void Load_BadExpressions_AreAllReportedAtTheirColumns()
    {
        var errors = Configs.Errors(Configs.Flow("""
            trigger: { connection: oa }
            when: data.amount >
            onlyOnChange: { value: "data.(" }
            steps:
              - transform: t
                value: { a: "=1 +", b: "x {{ data. }}" }
              - if: data.a &&
                then: []
            """));
        Assert.Equal(
        [
            "isthmus.yaml:7:24: flows.f.when: expression \"data.amount >\" is incomplete: Unexpected end of input (column 14)",
            "isthmus.yaml:8:34: flows.f.onlyOnChange.value: expression \"data.(\" is not valid: Unexpected token '(' (column 6)",
            "isthmus.yaml:11:26: flows.f.steps[0].value.a: expression \"1 +\" is incomplete: Unexpected end of input (column 4)",
            "isthmus.yaml:11:43: flows.f.steps[0].value.b: expression \"data.\" is incomplete: Unexpected end of input (column 6)",
            "isthmus.yaml:12:22: flows.f.steps[1].if: expression \"data.a &&\" is incomplete: Unexpected end of input (column 10)",
        ], errors);
    }

    [Theory]
    [InlineData("store: { kind: postgres }", "isthmus.yaml:1:16: store.kind: 'postgres' is not a supported store")]
    [InlineData("store: { synchronous: off }", "isthmus.yaml:1:23: store.synchronous: 'off' must be full")]
    [InlineData("server: { listen: ftp://x }", "isthmus.yaml:1:19: server.listen: 'ftp://x' is not an http:// or https:// address")]
    [InlineData("server: { maxBodySize: huge }", "isthmus.yaml:1:24: server.maxBodySize: 'huge' is not a size")]
    [InlineData("deliveries: { baseDelay: 1m, maxDelay: 1s }", "isthmus.yaml:1:40: deliveries.maxDelay: must be at least baseDelay")]
    [InlineData("codeTables: { t: [a] }", "isthmus.yaml:1:18: codeTables.t: a code table is a mapping")]
    [InlineData("connections: { oa: webhook }", "isthmus.yaml:1:20: connections.oa: a connection is a mapping")]
    [InlineData("flows: { x: 1 }", "isthmus.yaml:1:13: flows.x: a flow must be a mapping")]
    public void Load_BadSectionValue_IsReported(string yaml, string expected) =>
        Assert.StartsWith(expected, Assert.Single(Configs.Errors(yaml)), StringComparison.Ordinal);

    [Fact]
    public void Load_StoreAbsolutePath_StaysAbsolute() =>
        Assert.Equal("/var/lib/isthmus/i.db", Configs.Valid("store: { path: /var/lib/isthmus/i.db }").Store.Path);

    [Fact]
    public void Load_QuotedScalarsInPayload_StayText()
    {
        var config = Configs.Valid(Configs.Flow("trigger: { connection: oa }\nsteps:\n  - action: a\n    connection: erp\n    count: 3\n    code: \"3\""));
        var payload = config.Flows[0].Steps[0] is Isthmus.Flows.ActionStep a ? a.Payload : null;
        using var scope = config.Expressions.CreateScope(new(new(), "{}"u8.ToArray(), DateTimeOffset.UnixEpoch));
        Assert.Equal("""{"count":3,"code":"3"}""", scope.Render(payload!)!.ToJsonString());
    }
}
