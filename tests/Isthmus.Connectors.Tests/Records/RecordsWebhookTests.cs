using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Isthmus.Connectors.Tests.Support;
using Isthmus.Connectors.Webhook;
using Isthmus.Emulators.Records;

namespace Isthmus.Connectors.Tests.Records;

/// <summary>The emulator's change notifications, verified by our real <c>webhook</c> connector.</summary>
public sealed class RecordsWebhookTests
{
    private const string Secret = "crm-webhook-secret";

    [Fact]
    public async Task Change_IsNotifiedInOrder_AndTheWebhookConnectorVerifiesIt()
    {
        await using var inbox = await WebhookInbox.StartAsync();
        await using var system = await RecordSystem.StartAsync(options: new RecordsEmulatorOptions
        {
            Types = ["customers"], Webhooks = [new WebhookSubscription(inbox.Url, Secret)],
        });
        var webhook = Connect(RecordsEmulator.WebhookConnection(Secret));

        var created = await system.Connector.WriteAsync("customers", RecordSystem.Write(null, new JsonObject { ["name"] = "Acme" }), RecordSystem.Ct);
        await system.Connector.WriteAsync("customers", RecordSystem.Write(created.Id, new JsonObject { ["tier"] = "A" }, "1"), RecordSystem.Ct);
        await system.Connector.DeleteAsync("customers", created.Id, "2", RecordSystem.Ct);
        await system.Emulator.WhenWebhooksIdleAsync(cancellationToken: RecordSystem.Ct);

        var events = new List<EventDraft>();
        foreach (var request in inbox.Received)
        {
            events.AddRange((await webhook.ReceiveAsync(request, RecordSystem.Ct)).Events);
        }

        Assert.Equal(["customers.created", "customers.updated", "customers.deleted"], events.Select(e => e.Type));
        Assert.All(events, e => Assert.Equal(created.Id, e.Key));
        Assert.Equal(3, events.Select(e => e.Id).Distinct().Count());
        var data = JsonNode.Parse(events[1].Data.Span)!;
        Assert.Equal(2, data["version"]!.GetValue<int>());
        Assert.Equal("Acme", data["record"]!["name"]!.GetValue<string>());
        Assert.Equal("A", data["record"]!["tier"]!.GetValue<string>());
        Assert.True(JsonNode.Parse(events[2].Data.Span)!["record"]!["deleted"]!.GetValue<bool>());
        Assert.Equal(3, system.Emulator.Stats().WebhooksSent);
    }

    [Fact]
    public async Task Notification_TamperedOrWrongSecret_IsRejected()
    {
        await using var inbox = await WebhookInbox.StartAsync();
        await using var system = await RecordSystem.StartAsync();
        system.Emulator.Subscribe(inbox.Url, Secret);
        await system.Connector.WriteAsync("customers", RecordSystem.Write(null, new JsonObject { ["name"] = "Acme", ["amount"] = 100 }), RecordSystem.Ct);
        await system.Emulator.WhenWebhooksIdleAsync(cancellationToken: RecordSystem.Ct);
        var signed = Assert.Single(inbox.Received);
        var tampered = signed with { Body = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(signed.Body.Span).Replace("100", "900", StringComparison.Ordinal)) };

        var ex = await Assert.ThrowsAsync<InboundRejectedException>(async () =>
            await Connect(RecordsEmulator.WebhookConnection(Secret)).ReceiveAsync(tampered, RecordSystem.Ct));
        var wrongSecret = await Assert.ThrowsAsync<InboundRejectedException>(async () =>
            await Connect(RecordsEmulator.WebhookConnection("another-secret")).ReceiveAsync(signed, RecordSystem.Ct));

        Assert.Equal(InboundRejection.Unauthorized, ex.Reason);
        Assert.Equal("signature does not match the body; check the shared secret", ex.Message);
        Assert.Equal(InboundRejection.Unauthorized, wrongSecret.Reason);
        Assert.Single((await Connect(RecordsEmulator.WebhookConnection(Secret)).ReceiveAsync(signed, RecordSystem.Ct)).Events);
    }

    [Fact]
    public async Task DroppedNotifications_AreNeverSent_ButTheChangesAreApplied()
    {
        await using var inbox = await WebhookInbox.StartAsync();
        await using var system = await RecordSystem.StartAsync();
        system.Emulator.Subscribe(inbox.Url, Secret);
        system.Emulator.SetFaults(new RecordFaults { DropWebhookCount = 2 });

        for (var i = 0; i < 3; i++)
        {
            await system.Connector.WriteAsync("customers", RecordSystem.Write(null, new JsonObject { ["name"] = $"n{i}" }), RecordSystem.Ct);
        }

        await system.Emulator.WhenWebhooksIdleAsync(cancellationToken: RecordSystem.Ct);

        var only = JsonNode.Parse(Assert.Single(inbox.Received).Body.Span)!;
        Assert.Equal("3", only["recordId"]!.GetValue<string>());
        Assert.Equal(3, system.Emulator.Records("customers").Count);
        var stats = system.Emulator.Stats();
        Assert.Equal((1, 2), (stats.WebhooksSent, stats.WebhooksDropped));
        Assert.Equal(0, system.Emulator.Faults.DropWebhookCount);
    }

    [Fact]
    public async Task FailedNotification_IsRetried_AndBehindTheBackEditsNotifyOnlyWhenAsked()
    {
        await using var inbox = await WebhookInbox.StartAsync();
        inbox.FailFirst = 2;
        await using var system = await RecordSystem.StartAsync();
        system.Emulator.Subscribe(inbox.Url, Secret);

        system.Emulator.Change("customers", [new JsonObject { ["id"] = "silent", ["name"] = "quiet" }], notify: false);
        system.Emulator.Change("customers", [new JsonObject { ["id"] = "loud", ["name"] = "heard" }], notify: true);
        await system.Emulator.WhenWebhooksIdleAsync(cancellationToken: RecordSystem.Ct);

        Assert.Equal("loud", JsonNode.Parse(Assert.Single(inbox.Received).Body.Span)!["recordId"]!.GetValue<string>());
        Assert.Equal(3, inbox.Calls);
        Assert.Equal(0, system.Emulator.Stats().Writes.GetValueOrDefault("customers"));
    }

    [Fact]
    public async Task ControlApi_SubscribesChangesAndReportsStats()
    {
        await using var inbox = await WebhookInbox.StartAsync();
        await using var system = await RecordSystem.StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri(system.Emulator.Url) };

        (await http.PostAsync("/_emulator/webhooks", Json(new { url = inbox.Url, secret = Secret }), RecordSystem.Ct)).EnsureSuccessStatusCode();
        (await http.PostAsync("/_emulator/records/projects", Json(new { notify = true, items = new[] { new { id = "p1", fields = new { name = "Bridge" } } } }), RecordSystem.Ct)).EnsureSuccessStatusCode();
        await system.Emulator.WhenWebhooksIdleAsync(cancellationToken: RecordSystem.Ct);
        var all = JsonNode.Parse(await http.GetStringAsync("/_emulator/records/projects", RecordSystem.Ct))!.AsArray();
        var stats = JsonNode.Parse(await http.GetStringAsync("/_emulator/stats", RecordSystem.Ct))!;

        Assert.Equal("Bridge", all.Single()!["name"]!.GetValue<string>());
        Assert.Equal("projects.created", JsonNode.Parse(Assert.Single(inbox.Received).Body.Span)!["type"]!.GetValue<string>());
        Assert.Equal(1, stats["webhooksSent"]!.GetValue<long>());
    }

    [Fact]
    public async Task ControlApi_RefusesFieldsWrittenBesideTheIdAndChangesNothing()
    {
        await using var system = await RecordSystem.StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri(system.Emulator.Url) };

        var answer = await http.PostAsync("/_emulator/records/projects",
            Json(new { items = new object[] { new { id = "p1", fields = new { name = "Bridge" } }, new { id = "p2", name = "Tunnel" } } }), RecordSystem.Ct);

        Assert.Equal(System.Net.HttpStatusCode.BadRequest, answer.StatusCode);
        var error = JsonNode.Parse(await answer.Content.ReadAsStringAsync(RecordSystem.Ct))!["error"]!.GetValue<string>();
        Assert.StartsWith("'name' is not an item key; put the record's fields under \"fields\"", error, StringComparison.Ordinal);
        Assert.Empty(JsonNode.Parse(await http.GetStringAsync("/_emulator/records/projects", RecordSystem.Ct))!.AsArray());
    }

    [Fact]
    public async Task ControlApi_FrozenClock_GivesChangesOneTime_AndRefusesANonTime()
    {
        await using var system = await RecordSystem.StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri(system.Emulator.Url) };

        (await http.PostAsync("/_emulator/clock", Json(new { frozenAt = "2026-03-01T08:00:00Z" }), RecordSystem.Ct)).EnsureSuccessStatusCode();
        system.Seed(3);
        var bad = await http.PostAsync("/_emulator/clock", Json(new { frozenAt = "soon" }), RecordSystem.Ct);

        Assert.All(system.Emulator.Records("customers"), r => Assert.Equal("2026-03-01T08:00:00.000Z", r["updatedAt"]!.GetValue<string>()));
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, bad.StatusCode);
    }

    private static StringContent Json(object value) => new(JsonSerializer.Serialize(value), Encoding.UTF8, "application/json");

    /// <summary>The webhook connection exactly as the emulator prints it for a user's YAML.</summary>
    private static IInboundConnector Connect(Emulation.EmulatorConnection connection)
    {
        var lines = connection.ToYaml("crm-changes").Split('\n').Skip(1).Select(l => l.Length >= 4 ? l[4..] : l);
        return Connections.CreateValid<IInboundConnector>(new WebhookConnectorFactory(), string.Join('\n', lines));
    }
}
