using System.Text;
using System.Text.Json.Nodes;
using Isthmus.Configuration;
using Isthmus.Expressions;
using Isthmus.Flows;

namespace Isthmus.Tests.Configuration;

public class ConfigurationLoaderTests
{
    private const string Full = """
        server:
          listen: http://127.0.0.1:9090
          maxBodySize: 2MB
        store:
          kind: sqlite
          path: data/isthmus.db
          synchronous: normal
          retention: 3d
        deliveries:
          maxAttempts: 5
          baseDelay: 500ms
          maxDelay: 1m
        codeTables:
          approvalStatus:
            已批准: approved
            已驳回: rejected
        connections:
          oa:
            kind: webhook
            auth: { type: none }
          erp:
            kind: http
            baseUrl: http://127.0.0.1:9100
        flows:
          approved-orders-to-erp:
            description: optional text
            trigger:
              connection: oa
              event: "approval.*"
            when: data.amount > 1000
            onlyOnChange:
              value: data.status
              to: [approved, rejected]
            steps:
              - transform: order
                value:
                  id: "=data.orderId"
                  status: "=lookup('approvalStatus', data.status)"
                  note: "Order {{ data.orderId }} approved"
              - action: notify-erp
                connection: erp
                method: POST
                path: "/orders/{{ data.orderId }}/approval"
                headers: { X-Source: isthmus }
                body: "=steps.order"
              - if: data.amount > 100000
                name: big-order
                then:
                  - action: alert
                    connection: erp
                    body: big
                else:
                  - transform: small
                    value: 1
          nightly:
            enabled: false
            trigger:
              schedule: "0 30 2 * * *"
              timeZone: Asia/Shanghai
            steps:
              - if: "true"
                then: []
        """;

    [Fact]
    public void LoadText_FullExample_MapsEverySection()
    {
        var config = Configs.Valid(Full);
        Assert.Equal(new ServerSettings("http://127.0.0.1:9090", 2 << 20), config.Server);
        Assert.Equal(Path.Combine(Path.GetFullPath(Path.GetTempPath()), "data", "isthmus.db"), config.Store.Path);
        Assert.Equal(("normal", TimeSpan.FromDays(3)), (config.Store.Synchronous, config.Store.Retention));
        Assert.Equal(new DeliverySettings(5, TimeSpan.FromMilliseconds(500), TimeSpan.FromMinutes(1)), config.Deliveries);
        Assert.Equal("approved", config.Expressions.CodeTables["approvalStatus"]["已批准"]);
        Assert.Equal(["oa", "erp"], config.Connections.Select(c => c.Name));
        var erp = config.Connections[1];
        Assert.Equal(("http", "http://127.0.0.1:9100"), (erp.Kind, (erp.Settings["baseUrl"] as SettingScalar)?.Value));
        Assert.NotNull(erp.Settings["kind"]);
        Assert.Equal(new SourceLocation("isthmus.yaml", 21, 3), erp.Location);

        var flow = config.Flows[0];
        Assert.Equal(("approved-orders-to-erp", true, "oa", "approval.*"), (flow.Name, flow.Enabled, flow.Trigger.Connection, flow.Trigger.EventType?.Text));
        Assert.Equal("data.amount > 1000", flow.Condition?.Source);
        Assert.Equal(new SourceLocation("isthmus.yaml", 30, 11), flow.Condition?.Location);
        Assert.Equal(["approved", "rejected"], flow.OnlyOnChange!.To!);
        Assert.Equal(["order", "notify-erp", "big-order"], flow.Steps.Select(s => s.Name));
        var action = Assert.IsType<ActionStep>(flow.Steps[1]);
        Assert.Equal(("erp", "request"), (action.Connection, action.Action));
        var branch = Assert.IsType<BranchStep>(flow.Steps[2]);
        Assert.Equal(("alert", "small"), (branch.Then[0].Name, branch.Else[0].Name));

        var nightly = config.Flows[1];
        Assert.False(nightly.Enabled);
        Assert.Null(nightly.Trigger.EventType);
        Assert.Equal("Asia/Shanghai", nightly.Trigger.TimeZone.Id);
        Assert.Equal(new DateTime(2026, 1, 1, 2, 30, 0, DateTimeKind.Utc), nightly.Trigger.Schedule!.GetNextOccurrence(new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc)));
        Assert.Equal("if-1", nightly.Steps[0].Name);
    }

    [Fact]
    public void LoadText_CompiledFlow_RendersItsActionPayload()
    {
        var config = Configs.Valid(Full);
        var flow = config.Flows[0];
        var data = Encoding.UTF8.GetBytes("""{"orderId":"SO-9","amount":5000,"status":"已批准"}""");
        using var scope = config.Expressions.CreateScope(new ExpressionInput(new JsonObject(), data, DateTimeOffset.UnixEpoch));
        Assert.True(scope.Test(flow.Condition!));
        scope.SetStepOutput("order", scope.Render(((TransformStep)flow.Steps[0]).Value));
        var payload = scope.Render(((ActionStep)flow.Steps[1]).Payload);
        Assert.Equal("""{"method":"POST","path":"/orders/SO-9/approval","headers":{"X-Source":"isthmus"},"body":{"id":"SO-9","status":"approved","note":"Order SO-9 approved"}}""",
            payload!.ToJsonString(new System.Text.Json.JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));
    }

    [Fact]
    public void LoadText_EmptyFile_GivesDefaults()
    {
        var config = Configs.Valid("");
        Assert.Equal(ServerSettings.Default, config.Server);
        Assert.Equal(DeliverySettings.Default, config.Deliveries);
        Assert.Equal("isthmus.db", Path.GetFileName(config.Store.Path));
        Assert.Empty(config.Flows);
    }

    [Fact]
    public void LoadText_EventTriggerWithoutEvent_MatchesEveryType()
    {
        var config = Configs.Valid(Configs.Flow("trigger: { connection: oa }\nsteps:\n  - transform: t\n    value: 1"));
        Assert.Equal("*", config.Flows[0].Trigger.EventType!.Text);
        Assert.Equal(TimeZoneInfo.Utc, config.Flows[0].Trigger.TimeZone);
    }
}
