using System.Globalization;
using System.Text.Json.Nodes;
using Isthmus.Connectors.AgoraChat;
using Isthmus.Connectors.Tests.Support;
using Isthmus.Emulation;
using Isthmus.Emulators.AgoraChat;

namespace Isthmus.Connectors.Tests.AgoraChat;

public sealed class AgoraChatVectorTests
{
    [Fact]
    public void Every_agora_chat_vector_is_reproduced_here()
    {
        Assert.Equal(["agora-chat-app-token-007", "agora-chat-user-token-007", "easemob-callback-security-derived"], Vectors.Of("agora-chat").Order());
    }

    [Fact]
    public void Callback_security_is_md5_of_callId_secret_timestamp()
    {
        var v = Vectors.Get("easemob-callback-security-derived");

        Assert.Equal(v.Out("security"), CallbackSecurity.Sign(v.In("callId"), v.In("secret"), v.In("timestamp")));
    }

    [Fact]
    public async Task The_emulator_signs_its_callbacks_as_the_vector_says()
    {
        var v = Vectors.Get("easemob-callback-security-derived");
        await using var emulator = new AgoraChatEmulator(new EmulatorOptions(), v.In("secret"));
        var body = new JsonObject { ["callId"] = v.In("callId"), ["timestamp"] = long.Parse(v.In("timestamp"), CultureInfo.InvariantCulture) };

        var signed = JsonNode.Parse(emulator.Sign(body))!;

        Assert.Equal(v.Out("security"), signed["security"]!.GetValue<string>());
    }

    [Fact]
    public void The_app_token_payload_matches_the_upstream_vector_byte_for_byte()
    {
        var v = Vectors.Get("agora-chat-app-token-007");

        var payload = AccessToken2.Payload(v.In("app_id"), v.In("app_certificate"), Number(v, "issue_ts"), Number(v, "salt"), Number(v, "expire"), AccessToken2.AppPrivilege, "");

        Assert.Equal(v.Out("inflated_hex"), Convert.ToHexStringLower(payload));
        Assert.Equal(v.Out("inflated_hex"), Convert.ToHexStringLower(AccessToken2.Inflate(v.Out("token"))));
    }

    [Fact]
    public void The_built_app_token_inflates_to_the_upstream_token()
    {
        var v = Vectors.Get("agora-chat-app-token-007");

        var token = AccessToken2.AppToken(v.In("app_id"), v.In("app_certificate"), Number(v, "issue_ts"), Number(v, "salt"), Number(v, "expire"));

        Assert.StartsWith("007", token, StringComparison.Ordinal);
        Assert.Equal(AccessToken2.Inflate(v.Out("token")), AccessToken2.Inflate(token));
    }

    [Fact]
    public void The_user_token_inflates_to_the_upstream_token()
    {
        var v = Vectors.Get("agora-chat-user-token-007");

        var token = AccessToken2.UserToken(v.In("app_id"), v.In("app_certificate"), v.In("user_id"), Number(v, "issue_ts"), Number(v, "salt"), Number(v, "expire"));

        Assert.Equal(AccessToken2.Inflate(v.Out("token")), AccessToken2.Inflate(token));
    }

    [Fact]
    public void The_upstream_tokens_read_back_with_their_fields_and_a_valid_signature()
    {
        var app = Vectors.Get("agora-chat-app-token-007");
        var user = Vectors.Get("agora-chat-user-token-007");

        var appFields = AccessToken2.Read(app.Out("token"), app.In("app_certificate"))!;
        var userFields = AccessToken2.Read(user.Out("token"), user.In("app_certificate"))!;

        Assert.Equal(app.In("app_id"), appFields.AppId);
        Assert.Equal((1111111u, 600u, 1u), (appFields.IssueTs, appFields.Expire, appFields.Salt));
        Assert.Equal(600u, appFields.Privileges[AccessToken2.AppPrivilege]);
        Assert.Equal("", appFields.UserId);
        Assert.Equal(user.In("user_id"), userFields.UserId);
        Assert.Equal(600u, userFields.Privileges[AccessToken2.UserPrivilege]);
    }

    [Fact]
    public void A_token_read_with_another_certificate_is_refused()
    {
        var v = Vectors.Get("agora-chat-app-token-007");

        Assert.Null(AccessToken2.Read(v.Out("token"), "00000000000000000000000000000000"));
        Assert.Null(AccessToken2.Read("007" + v.Out("token")[3..^4] + "AAAA", v.In("app_certificate")));
        Assert.Null(AccessToken2.Read("006abc", v.In("app_certificate")));
    }

    [Fact]
    public void An_app_id_that_is_not_32_hex_characters_is_refused()
    {
        Assert.Throws<ArgumentException>(() => AccessToken2.AppToken("not-an-app-id", "5CFd2fd1755d40ecb72977518be15d3b", 1, 1, 600));
    }

    private static uint Number(System.Text.Json.JsonElement vector, string name) => uint.Parse(vector.In(name), CultureInfo.InvariantCulture);
}
