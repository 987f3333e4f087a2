using System.Text;
using Isthmus.Connectors.Chat;
using Isthmus.Emulators.WeCom;

namespace Isthmus.Connectors.Tests.WeCom;

public sealed class WeComInboundTests
{
    private const string Now = "1700000000";
    private const string Text = "<xml><ToUserName><![CDATA[ww0emulator0corp]]></ToUserName><FromUserName><![CDATA[li.wei]]></FromUserName><CreateTime>1700000000</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[urgent: server down]]></Content><MsgId>7000000000000000001</MsgId><AgentID>1000002</AgentID></xml>";

    private static async Task<InboundRejectedException> Rejected(InboundRequest request, string? now = null)
    {
        await using var connector = WeComHooks.Emulated(WeComHooks.At(now ?? Now));
        return await Assert.ThrowsAsync<InboundRejectedException>(() => connector.ReceiveAsync(request, CancellationToken.None).AsTask());
    }

    private static async Task<IReadOnlyList<EventDraft>> Receive(InboundRequest request)
    {
        await using var connector = WeComHooks.Emulated(WeComHooks.At(Now));
        return (await connector.ReceiveAsync(request, CancellationToken.None)).Events;
    }

    [Fact]
    public async Task Signature_ThatDoesNotMatch_IsUnauthorized()
    {
        var good = WeComHooks.Sealed(Text, Now);
        var bad = good with { Query = new Dictionary<string, string>(good.Query) { ["msg_signature"] = new string('0', 40) } };

        var ex = await Rejected(bad);

        Assert.Equal(InboundRejection.Unauthorized, ex.Reason);
        Assert.Contains("msg_signature", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Callback_EncryptedWithAnotherKey_IsUnauthorized()
    {
        var other = new WeComCallbackSealer(WeComEmulator.Token, "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C", WeComEmulator.CorpId);

        var ex = await Rejected(WeComHooks.Sealed(Text, Now, sealer: other));

        Assert.Equal(InboundRejection.Unauthorized, ex.Reason);
        Assert.Contains("cannot be decrypted", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Callback_ForAnotherCorp_IsUnauthorized()
    {
        var other = new WeComCallbackSealer(WeComEmulator.Token, WeComEmulator.EncodingAesKey, "ww-someone-else");

        var ex = await Rejected(WeComHooks.Sealed(Text, Now, sealer: other));

        Assert.Contains("not for 'ww0emulator0corp'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ciphertext_Tampered_IsUnauthorized_EvenWhenResigned()
    {
        var sealer = new WeComCallbackSealer(WeComEmulator.Token, WeComEmulator.EncodingAesKey, WeComEmulator.CorpId);
        var bytes = Convert.FromBase64String(sealer.Encrypt(Text));
        bytes[^5] ^= 0x20;
        var tampered = Convert.ToBase64String(bytes);

        // Changed in transit: the signature no longer matches.
        var unsigned = await Rejected(WeComHooks.Post(sealer.Envelope(tampered, 1), sealer.Sign(Now, "1", sealer.Encrypt(Text)), Now, "1"));
        Assert.Contains("msg_signature", unsigned.Message, StringComparison.Ordinal);

        // Re-signed by someone who knows only the token: decryption still refuses it.
        var resigned = await Rejected(WeComHooks.Post(sealer.Envelope(tampered, 1), sealer.Sign(Now, "1", tampered), Now, "1"));
        Assert.Equal(InboundRejection.Unauthorized, resigned.Reason);
        Assert.Contains("cannot be decrypted", resigned.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("1699999000")]
    [InlineData("1700000400")]
    public async Task Timestamp_OutsideFiveMinutes_IsStale(string timestamp)
    {
        var ex = await Rejected(WeComHooks.Sealed(Text, timestamp));

        Assert.Equal(InboundRejection.StaleTimestamp, ex.Reason);
    }

    [Fact]
    public async Task Timestamp_WithinTheWindow_IsAccepted() =>
        Assert.Single(await Receive(WeComHooks.Sealed(Text, "1699999800")));

    [Theory]
    [InlineData("not xml at all", "WeCom's XML")]
    [InlineData("<xml><ToUserName>x</ToUserName>", "not well-formed XML")]
    [InlineData("<xml><ToUserName>x</ToUserName></xml>", "no <Encrypt>")]
    [InlineData("{\"ToUserName\":\"x\"}", "no \"Encrypt\"")]
    [InlineData("<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><xml><Encrypt>&e;</Encrypt></xml>", "not well-formed XML")]
    public async Task Body_NotAnEnvelope_IsMalformed(string body, string expected)
    {
        var ex = await Rejected(WeComHooks.Post(body, "x", Now, "1"));

        Assert.Equal(InboundRejection.Malformed, ex.Reason);
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DecryptedMessage_ThatIsNotXml_IsMalformed()
    {
        var ex = await Rejected(WeComHooks.Sealed("<xml><MsgType>text", Now));

        Assert.Equal(InboundRejection.Malformed, ex.Reason);
    }

    [Fact]
    public async Task QueryParameter_Missing_IsUnauthorized()
    {
        var good = WeComHooks.Sealed(Text, Now);
        var query = new Dictionary<string, string>(good.Query);
        query.Remove("nonce");

        var ex = await Rejected(good with { Query = query });

        Assert.Contains("'nonce' is missing", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UrlCheck_WithABadSignature_IsUnauthorized_AndAGoodOneEchoes()
    {
        var sealer = new WeComCallbackSealer(WeComEmulator.Token, WeComEmulator.EncodingAesKey, WeComEmulator.CorpId);
        var echo = sealer.Encrypt("5927782489442352469");
        await using var connector = WeComHooks.Emulated(WeComHooks.At(Now));

        var ok = await connector.ReceiveAsync(WeComHooks.Get(sealer.Sign(Now, "9", echo), Now, "9", echo.Replace('+', ' ')), CancellationToken.None);
        Assert.Equal("5927782489442352469", Encoding.UTF8.GetString(ok.Reply!.Body.Span));

        await Assert.ThrowsAsync<InboundRejectedException>(() =>
            connector.ReceiveAsync(WeComHooks.Get(sealer.Sign(Now, "8", echo), Now, "9", echo), CancellationToken.None).AsTask());
    }

    [Fact]
    public async Task RepeatedDelivery_OfOneMessage_HasTheSameEventId()
    {
        var first = Assert.Single(await Receive(WeComHooks.Sealed(Text, Now, "111")));
        var again = Assert.Single(await Receive(WeComHooks.Sealed(Text, "1700000005", "222")));

        Assert.Equal("7000000000000000001", first.Id);
        Assert.Equal(first.EffectiveDedupKey, again.EffectiveDedupKey);
        Assert.Equal("urgent: server down", WeComHooks.Data(first).GetProperty("text").GetString());
    }

    [Fact]
    public async Task TemplateCardEvent_IsACardAction_WithTheResponseCodeToUpdateIt()
    {
        var taskId = Isthmus.Connectors.WeCom.WeComTaskId.For("AP-1001", "oa:e1:notify:card")!;
        var xml = $"<xml><ToUserName><![CDATA[ww0emulator0corp]]></ToUserName><FromUserName><![CDATA[li.wei]]></FromUserName><CreateTime>1700000000</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[template_card_event]]></Event><EventKey><![CDATA[approve]]></EventKey><TaskId><![CDATA[{taskId}]]></TaskId><CardType><![CDATA[button_interaction]]></CardType><ResponseCode><![CDATA[rc-123]]></ResponseCode><AgentID>1000002</AgentID><SelectedItems><SelectedItem><QuestionKey><![CDATA[q1]]></QuestionKey><OpitonIds><OpitonId><![CDATA[o1]]></OpitonId><OpitonId><![CDATA[o2]]></OpitonId></OpitonIds></SelectedItem><SelectedItem><QuestionKey><![CDATA[q2]]></QuestionKey><OptionIds><OptionId><![CDATA[o3]]></OptionId></OptionIds></SelectedItem></SelectedItems></xml>";

        var draft = Assert.Single(await Receive(WeComHooks.Sealed(xml, Now)));

        Assert.Equal(ChatEventTypes.CardAction, draft.Type);
        Assert.Equal("AP-1001", draft.Key);
        var data = WeComHooks.Data(draft);
        Assert.Equal("approve", data.GetProperty("action").GetString());
        Assert.Equal("AP-1001", data.GetProperty("cardId").GetString());
        Assert.Equal("li.wei", data.GetProperty("user").GetProperty("id").GetString());
        Assert.Equal(taskId, data.GetProperty("message").GetProperty("id").GetString());
        Assert.Equal("rc-123", data.GetProperty("message").GetProperty("token").GetString());
        Assert.Equal("AP-1001", data.GetProperty("value").GetProperty("cardId").GetString());
        Assert.Equal(["o1", "o2"], data.GetProperty("value").GetProperty("selected").GetProperty("q1").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(["o3"], data.GetProperty("value").GetProperty("selected").GetProperty("q2").EnumerateArray().Select(e => e.GetString()));
        Assert.False(data.TryGetProperty("comment", out _));
    }

    [Theory]
    [InlineData("1", "pending")]
    [InlineData("2", "approved")]
    [InlineData("3", "rejected")]
    [InlineData("4", "canceled")]
    [InlineData("6", "canceled")]
    [InlineData("7", "deleted")]
    [InlineData("10", "other")]
    public async Task SysApprovalChange_IsApprovalChanged(string spStatus, string status)
    {
        var xml = $"<xml><ToUserName><![CDATA[ww0emulator0corp]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName><CreateTime>1700000000</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[sys_approval_change]]></Event><AgentID>3010040</AgentID><ApprovalInfo><SpNo>202311150000012345</SpNo><SpName><![CDATA[Expense]]></SpName><SpStatus>{spStatus}</SpStatus><ApplyTime>1699990000</ApplyTime><Applyer><UserId><![CDATA[zhang.san]]></UserId><Party><![CDATA[1]]></Party></Applyer><SpRecord><SpStatus>{spStatus}</SpStatus><ApproverAttr>1</ApproverAttr><Details><Approver><UserId><![CDATA[li.wei]]></UserId></Approver><Speech><![CDATA[ok by me]]></Speech><SpStatus>{spStatus}</SpStatus><SpTime>1699999999</SpTime></Details></SpRecord><StatuChangeEvent>2</StatuChangeEvent></ApprovalInfo></xml>";

        var draft = Assert.Single(await Receive(WeComHooks.Sealed(xml, Now)));

        Assert.Equal(ChatEventTypes.ApprovalChanged, draft.Type);
        var data = WeComHooks.Data(draft);
        Assert.Equal("202311150000012345", data.GetProperty("instanceId").GetString());
        Assert.Equal(status, data.GetProperty("status").GetString());
        Assert.Equal(spStatus, data.GetProperty("platformStatus").GetString());
        Assert.Equal("zhang.san", data.GetProperty("requester").GetProperty("id").GetString());
        Assert.Equal("li.wei", data.GetProperty("operator").GetProperty("id").GetString());
        Assert.Equal("ok by me", data.GetProperty("comment").GetString());
        Assert.Equal("Expense", data.GetProperty("title").GetString());
    }

    [Fact]
    public async Task OtherEvents_KeepTheirFields_UnderTheirOwnType()
    {
        var contact = "<xml><ToUserName>c</ToUserName><FromUserName>sys</FromUserName><CreateTime>1700000000</CreateTime><MsgType>event</MsgType><Event>change_contact</Event><ChangeType>update_user</ChangeType><UserID>li.wei</UserID><Mobile>13800000000</Mobile></xml>";
        var enter = "<xml><ToUserName>c</ToUserName><FromUserName>li.wei</FromUserName><CreateTime>1700000000</CreateTime><MsgType>event</MsgType><Event>enter_agent</Event><AgentID>1</AgentID></xml>";

        var changed = Assert.Single(await Receive(WeComHooks.Sealed(contact, Now)));
        var entered = Assert.Single(await Receive(WeComHooks.Sealed(enter, Now)));

        Assert.Equal(ChatEventTypes.ContactChanged, changed.Type);
        Assert.Equal("13800000000", WeComHooks.Data(changed).GetProperty("Mobile").GetString());
        Assert.Equal("wecom.enter_agent", entered.Type);
    }

    [Fact]
    public async Task JsonEnvelope_AndJsonMessage_AreOpenedLikeXml()
    {
        var sealer = new WeComCallbackSealer(WeComEmulator.Token, WeComEmulator.EncodingAesKey, WeComEmulator.CorpId);
        var encrypted = sealer.Encrypt("{\"ToUserName\":\"c\",\"FromUserName\":\"li.wei\",\"CreateTime\":1700000000,\"MsgType\":\"text\",\"Content\":\"hi\",\"MsgId\":42,\"AgentID\":1}");
        var body = $"{{\"tousername\":\"c\",\"encrypt\":\"{encrypted}\",\"agentid\":\"1\"}}";

        var draft = Assert.Single(await Receive(WeComHooks.Post(body, sealer.Sign(Now, "5", encrypted), Now, "5", "application/json")));

        Assert.Equal("42", draft.Id);
        Assert.Equal("hi", WeComHooks.Data(draft).GetProperty("text").GetString());
    }

    [Theory]
    [InlineData("AP-1001")]
    [InlineData("审批/2024 #7")]
    public void TaskId_CarriesTheCardId(string cardId)
    {
        var taskId = Isthmus.Connectors.WeCom.WeComTaskId.For(cardId, "oa:e1:step")!;

        Assert.Matches("^[0-9A-Za-z_@-]{1,128}$", taskId);
        Assert.Equal(cardId, Isthmus.Connectors.WeCom.WeComTaskId.CardId(taskId));
        Assert.NotEqual(taskId, Isthmus.Connectors.WeCom.WeComTaskId.For(cardId, "oa:e2:step"));
    }
}
