using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Isthmus.Emulation;
using Isthmus.Emulators.Feishu;

namespace Isthmus.IntegrationTests.Interop;

/// <summary>
/// The Feishu emulator against the official <c>@larksuiteoapi/node-sdk</c>: its <c>Client</c> with a custom domain
/// gets a tenant token, looks a user up by email and sends a message, and the emulator records it; its
/// <c>EventDispatcher</c> accepts the signature of a callback the emulator encrypted and signed, and decrypts it.
/// </summary>
public sealed class FeishuSdkInteropTests : IAsyncLifetime
{
    private const string Package = "@larksuiteoapi/node-sdk";
    private const string Script = "feishu-sdk.js";

    private readonly FeishuEmulator _feishu = new(new EmulatorOptions());

    public async ValueTask InitializeAsync()
    {
        await _feishu.StartAsync();
        _feishu.State.AddUser(new EmulatedUser("ou_liwei", "Li Wei", Email: "li.wei@example.com"));
        // Callback requests are only built here, never sent: nothing listens on port 9.
        _feishu.CallbackUrl = "http://127.0.0.1:9/hooks/feishu";
    }

    public ValueTask DisposeAsync() => _feishu.DisposeAsync();

    [Fact]
    public async Task Client_GetsATenantToken_LooksUpAndSends_AndTheEmulatorRecordsIt()
    {
        var result = await NodeScript.RunAsync(Package, Script,
            ["send", _feishu.BaseUrl, FeishuEmulator.AppId, FeishuEmulator.AppSecret, "li.wei@example.com", "部署完成 ✓"]);

        Assert.Equal("ou_liwei", result.GetProperty("lookup").GetProperty("data").GetProperty("user_list")[0].GetProperty("user_id").GetString());
        var sent = result.GetProperty("sent").GetProperty("data");
        var message = Assert.Single(_feishu.State.Messages);
        Assert.Equal((sent.GetProperty("message_id").GetString(), "ou_liwei", "text"), (message.Id, message.To, message.Kind));
        Assert.Equal("部署完成 ✓", message.Content["text"]?.GetValue<string>());
        Assert.Equal(1, _feishu.State.TokensIssued);
    }

    [Fact]
    public async Task Client_WithAWrongAppSecret_GetsNoToken_AndNothingIsSent()
    {
        NodeScript.Require(Package); // skip here, not inside the expected failure
        var failure = await Assert.ThrowsAnyAsync<Exception>(() => NodeScript.RunAsync(Package, Script,
            ["send", _feishu.BaseUrl, FeishuEmulator.AppId, "not-the-secret", "li.wei@example.com", "hello"]));

        Assert.Contains("exited with 1", failure.Message, StringComparison.Ordinal);
        Assert.Empty(_feishu.State.Messages);
    }

    private static JsonObject MessageEvent(string text) => new()
    {
        ["schema"] = "2.0",
        ["header"] = new JsonObject
        {
            ["event_id"] = Guid.NewGuid().ToString("N"),
            ["event_type"] = "im.message.receive_v1",
            ["create_time"] = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture),
            ["token"] = FeishuEmulator.VerificationToken,
            ["app_id"] = FeishuEmulator.AppId,
            ["tenant_key"] = "emulator-tenant",
        },
        ["event"] = new JsonObject
        {
            ["sender"] = new JsonObject { ["sender_id"] = new JsonObject { ["open_id"] = "ou_liwei" }, ["sender_type"] = "user" },
            ["message"] = new JsonObject
            {
                ["message_id"] = "om_interop",
                ["chat_id"] = "oc_interop",
                ["chat_type"] = "p2p",
                ["message_type"] = "text",
                ["content"] = new JsonObject { ["text"] = text }.ToJsonString(),
            },
        },
    };

    private async Task<(string Headers, string Body)> CallbackAsync(JsonObject envelope, string? signature = null)
    {
        using var request = _feishu.CallbackRequest(envelope);
        var headers = new JsonObject();
        foreach (var name in (string[])["X-Lark-Request-Timestamp", "X-Lark-Request-Nonce", "X-Lark-Signature"])
        {
            // Node's HTTP server hands the SDK lower-case header names.
            headers[name.ToLowerInvariant()] = request.Headers.GetValues(name).Single();
        }

        if (signature is not null)
        {
            headers["x-lark-signature"] = signature;
        }

        return (headers.ToJsonString(), await request.Content!.ReadAsStringAsync());
    }

    [Fact]
    public async Task EventDispatcher_AcceptsTheSignature_AndDecryptsTheCallback()
    {
        var (headers, body) = await CallbackAsync(MessageEvent("urgent: 服务器宕机 + / = ✓"));

        var received = await NodeScript.RunAsync(Package, Script, ["event", FeishuEmulator.EncryptKey, FeishuEmulator.VerificationToken],
            $$"""{"headers":{{headers}},"body":{{JsonSerializer.Serialize(body)}}}""");

        Assert.Equal("im.message.receive_v1", received.GetProperty("event_type").GetString());
        Assert.Equal("ou_liwei", received.GetProperty("sender").GetProperty("sender_id").GetProperty("open_id").GetString());
        var content = JsonDocument.Parse(received.GetProperty("message").GetProperty("content").GetString()!).RootElement;
        Assert.Equal("urgent: 服务器宕机 + / = ✓", content.GetProperty("text").GetString());
    }

    [Fact]
    public async Task EventDispatcher_RefusesACallbackWithAnotherSignature()
    {
        NodeScript.Require(Package); // skip here, not inside the expected failure
        var (headers, body) = await CallbackAsync(MessageEvent("hello"), signature: new string('0', 64));

        var failure = await Assert.ThrowsAnyAsync<Exception>(() => NodeScript.RunAsync(Package, Script,
            ["event", FeishuEmulator.EncryptKey, FeishuEmulator.VerificationToken], $$"""{"headers":{{headers}},"body":{{JsonSerializer.Serialize(body)}}}"""));

        Assert.Contains("did not hand the event over", failure.Message, StringComparison.Ordinal);
    }
}
