using System.Globalization;
using System.Net.Http.Headers;
using System.Security;
using Isthmus.Emulation;

namespace Isthmus.Emulators.WeCom;

public sealed partial class WeComEmulator
{
    /// <summary>
    /// A click on a template card button: <c>template_card_event</c> with the button's key, the card's task id and a
    /// fresh one-time <c>ResponseCode</c>. WeCom cards have no comment box, so <see cref="PressRequest.Comment"/> is not sent.
    /// </summary>
    public override Task<CallbackRecord> PressAsync(PressRequest press, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(press);
        var message = State.Message(press.Message) ?? throw new KeyNotFoundException($"No sent message '{press.Message}'.");
        var card = message.Content["template_card"] ?? throw new InvalidOperationException($"Message '{press.Message}' is not a template card.");
        // A key is the button's action, optionally followed by '~' and data the sender packed into it.
        var keys = (card["button_list"]?.AsArray() ?? []).Select(b => b?["key"]?.GetValue<string>() ?? "").ToList();
        var pressed = keys.FirstOrDefault(k => k == press.Action || k.StartsWith(press.Action + "~", StringComparison.Ordinal))
            ?? throw new ArgumentException($"The card has no button '{press.Action}'; its buttons: {string.Join(", ", keys.Select(k => k.Split('~')[0]))}.");

        var code = IssueCode(message.Id);
        var xml = $"""
            <xml><ToUserName><![CDATA[{CorpId}]]></ToUserName><FromUserName><![CDATA[{Cdata(press.User)}]]></FromUserName><CreateTime>{Now()}</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[template_card_event]]></Event><EventKey><![CDATA[{Cdata(pressed)}]]></EventKey><TaskId><![CDATA[{card["task_id"]}]]></TaskId><CardType><![CDATA[{card["card_type"]}]]></CardType><ResponseCode><![CDATA[{code}]]></ResponseCode><AgentID>{AgentId}</AgentID></xml>
            """;
        return PostAsync("card", xml, press.Repeat, cancellationToken);
    }

    /// <summary>A person writes to the app: a text message with a new <c>MsgId</c> (WeCom app messages are one-to-one).</summary>
    public override Task<CallbackRecord> SayAsync(SayRequest say, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(say);
        var xml = $"""
            <xml><ToUserName><![CDATA[{CorpId}]]></ToUserName><FromUserName><![CDATA[{Cdata(say.User)}]]></FromUserName><CreateTime>{Now()}</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[{Cdata(say.Text)}]]></Content><MsgId>{NextMsgId()}</MsgId><AgentID>{AgentId}</AgentID></xml>
            """;
        return PostAsync("message", xml, say.Repeat, cancellationToken);
    }

    /// <summary>An approval of WeCom's own approval app changed: <c>sys_approval_change</c> (<paramref name="spStatus"/> 1 in progress, 2 approved, 3 rejected, 4 revoked…).</summary>
    public Task<CallbackRecord> ApprovalChangedAsync(string spNo, int spStatus, string applicant, string approver, string? speech = null,
        int repeat = 1, CancellationToken cancellationToken = default)
    {
        var now = Now();
        var xml = $"""
            <xml><ToUserName><![CDATA[{CorpId}]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName><CreateTime>{now}</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[sys_approval_change]]></Event><AgentID>{AgentId}</AgentID><ApprovalInfo><SpNo>{Cdata(spNo)}</SpNo><SpName><![CDATA[Expense]]></SpName><SpStatus>{spStatus}</SpStatus><TemplateId><![CDATA[emulator-template]]></TemplateId><ApplyTime>{now}</ApplyTime><Applyer><UserId><![CDATA[{Cdata(applicant)}]]></UserId><Party><![CDATA[1]]></Party></Applyer><SpRecord><SpStatus>{spStatus}</SpStatus><ApproverAttr>1</ApproverAttr><Details><Approver><UserId><![CDATA[{Cdata(approver)}]]></UserId></Approver><Speech><![CDATA[{Cdata(speech ?? "")}]]></Speech><SpStatus>{spStatus}</SpStatus><SpTime>{(spStatus == 1 ? 0 : now)}</SpTime></Details></SpRecord><StatuChangeEvent>{(spStatus == 1 ? 1 : spStatus)}</StatuChangeEvent></ApprovalInfo></xml>
            """;
        return PostAsync("approval", xml, repeat, cancellationToken);
    }

    /// <summary>
    /// The check WeCom makes when an admin saves the callback URL: a GET with an encrypted <c>echostr</c>; the answer
    /// must be the decrypted value exactly. Returns the answer and the value expected.
    /// </summary>
    public async Task<(CallbackRecord Answer, string Expected)> VerifyUrlAsync(CancellationToken cancellationToken = default)
    {
        var url = RequireCallbackUrl().ToString();
        var expected = NextMsgId();
        var echo = Sealer.Encrypt(expected);
        var answer = await CallbackAsync("verify", () =>
        {
            var (timestamp, nonce) = (Now(), Nonce());
            return new HttpRequestMessage(HttpMethod.Get, WeComCallbackSealer.Url(url, Sealer.Sign(timestamp, nonce, echo), timestamp, nonce, echo));
        }, 1, cancellationToken);
        return (answer, expected);
    }

    // Each delivery, retries included, is encrypted and signed anew with the current timestamp, as WeCom does.
    private Task<CallbackRecord> PostAsync(string kind, string xml, int repeat, CancellationToken cancellationToken)
    {
        var url = RequireCallbackUrl().ToString();
        return CallbackAsync(kind, () =>
        {
            var (timestamp, nonce) = (Now(), Nonce());
            var encrypted = Sealer.Encrypt(xml);
            var content = new ByteArrayContent(Bytes(Sealer.Envelope(encrypted, AgentId)));
            content.Headers.ContentType = new MediaTypeHeaderValue("text/xml") { CharSet = "utf-8" };
            return new HttpRequestMessage(HttpMethod.Post, WeComCallbackSealer.Url(url, Sealer.Sign(timestamp, nonce, encrypted), timestamp, nonce))
            {
                Content = content,
            };
        }, repeat, cancellationToken);
    }

    private string Now() => State.Time.GetUtcNow().ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);

    // CDATA cannot hold "]]>"; split it the way XML writers do.
    private static string Cdata(string text) => text.Replace("]]>", "]]]]><![CDATA[>", StringComparison.Ordinal);
}
