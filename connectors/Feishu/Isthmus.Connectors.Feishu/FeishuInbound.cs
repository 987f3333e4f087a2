using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Isthmus.Connectors.Chat;

namespace Isthmus.Connectors.Feishu;

/// <summary>
/// Verifies and decodes what Feishu/Lark posts to the hook: event subscription (v2 and v1 envelopes), the new card
/// callback <c>card.action.trigger</c> and the legacy card callback. Checks the signature and timestamp, decrypts,
/// checks the Verification Token, answers the URL challenge, and turns events into normalized ones.
/// </summary>
internal sealed class FeishuInbound(FeishuSettings settings, TimeProvider time)
{
    private const string SignatureHeader = "X-Lark-Signature";
    private const string TimestampHeader = "X-Lark-Request-Timestamp";
    private const string NonceHeader = "X-Lark-Request-Nonce";

    public Inbound Receive(InboundRequest request)
    {
        var outer = InboundChecks.Json(request.Body);
        if (outer.ValueKind != JsonValueKind.Object)
        {
            throw Malformed("The body must be a JSON object.");
        }

        request.Headers.TryGetValue(SignatureHeader, out var signature);
        if (string.IsNullOrEmpty(signature))
        {
            signature = null;
        }

        if (outer.Str("encrypt") is { } encrypted)
        {
            var key = settings.EncryptKey ?? throw Unauthorized(
                "The body is encrypted but the connection has no encryptKey; set it to the app's Encrypt Key.");
            if (signature is not null)
            {
                CheckSigned(request, signature, FeishuCrypto.EventSignature(Header(request, TimestampHeader), Header(request, NonceHeader), key, request.Body.Span));
            }

            byte[] plain;
            try
            {
                plain = FeishuCrypto.Decrypt(key, encrypted);
            }
            catch (CryptographicException ex)
            {
                throw Unauthorized($"The body cannot be decrypted: {ex.Message}.");
            }

            var inner = ParseDecrypted(plain);
            if (signature is null && !IsUrlVerification(inner))
            {
                // Only the URL challenge comes unsigned when an Encrypt Key is set.
                throw Unauthorized($"The header {SignatureHeader} is missing.");
            }

            return Dispatch(inner);
        }

        if (IsLegacyCard(outer))
        {
            CheckSigned(request, signature ?? throw Unauthorized($"The header {SignatureHeader} is missing."),
                FeishuCrypto.LegacyCardSignature(Header(request, TimestampHeader), Header(request, NonceHeader), settings.VerificationToken, request.Body.Span));
            return LegacyCard(outer, request.Body.Span);
        }

        if (settings.EncryptKey is not null)
        {
            throw Unauthorized("The body is not encrypted, but the connection has an encryptKey: Feishu encrypts every event then. Check the app's Encrypt Key.");
        }

        return Dispatch(outer);
    }

    private Inbound Dispatch(JsonElement body)
    {
        if (body.ValueKind != JsonValueKind.Object)
        {
            throw Malformed("The event must be a JSON object.");
        }

        var isV2 = body.Str("schema") is not null;
        if (!isV2 && body.Str("uuid") is null && !IsUrlVerification(body))
        {
            throw Malformed("The body is neither a v2 event (schema, header) nor a v1 event (uuid, event) nor a card callback.");
        }

        CheckToken(isV2 ? body.Str("header", "token") : body.Str("token"));
        if (IsUrlVerification(body))
        {
            var challenge = body.Str("challenge") ?? throw Malformed("The url_verification request has no 'challenge'.");
            return new Inbound([], InboundChecks.JsonReply(new { challenge }));
        }

        if (isV2)
        {
            var id = body.Str("header", "event_id") ?? throw Malformed("The event has no header.event_id.");
            var type = body.Str("header", "event_type") ?? throw Malformed("The event has no header.event_type.");
            var at = FeishuJson.Time(body.Str("header", "create_time"));
            var ev = body.At("event") ?? throw Malformed("The event has no 'event'.");
            return type switch
            {
                "im.message.receive_v1" => new Inbound([FeishuEvents.Message(settings.Platform, id, ev, at)], Ack()),
                "card.action.trigger" => CardAction(id, ev, at),
                _ => new Inbound([FeishuEvents.Other(settings.Platform, id, type, ev, at)], Ack()),
            };
        }

        if (body.Str("uuid") is { } uuid)
        {
            var ev = body.At("event") ?? throw Malformed("The event has no 'event'.");
            var type = ev.Str("type") ?? throw Malformed("The event has no event.type.");
            var at = FeishuJson.Time(body.Str("ts"));
            return type switch
            {
                "approval_instance" => new Inbound([FeishuEvents.Approval(settings.Platform, uuid, ev, at)], Ack()),
                _ => new Inbound([FeishuEvents.Other(settings.Platform, uuid, type, ev, at)], Ack()),
            };
        }

        throw Malformed("The body is neither a v2 event (schema, header) nor a v1 event (uuid, event) nor a card callback.");
    }

    private Inbound CardAction(string id, JsonElement ev, DateTimeOffset? at)
    {
        var action = FeishuEvents.CardAction(settings.Platform, id, ev, at, out var key);
        var toast = new { toast = new { type = "success", content = $"Received: {key}" } };
        return new Inbound([action], InboundChecks.JsonReply(toast));
    }

    private Inbound LegacyCard(JsonElement body, ReadOnlySpan<byte> raw)
    {
        // The legacy callback has no event id; a redelivery carries the same body, so its hash recognises it.
        var id = "card-" + Convert.ToHexStringLower(SHA256.HashData(raw))[..32];
        var action = FeishuEvents.LegacyCardAction(settings.Platform, id, body, time.GetUtcNow());
        return new Inbound([action], InboundChecks.JsonReply(new { }));
    }

    private void CheckSigned(InboundRequest request, string given, string expected)
    {
        if (!InboundChecks.SameSignature(expected, given.ToLowerInvariant()))
        {
            throw Unauthorized($"The {SignatureHeader} does not match the body (wrong key, or the body was changed).");
        }

        var stamp = Header(request, TimestampHeader);
        if (!long.TryParse(stamp, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var seconds)
            || seconds is < 0 or > 253402300799)
        {
            throw Unauthorized($"The header {TimestampHeader} is not Unix seconds.");
        }

        InboundChecks.Fresh(DateTimeOffset.FromUnixTimeSeconds(seconds), time.GetUtcNow(), settings.Tolerance, TimestampHeader);
    }

    private void CheckToken(string? token)
    {
        if (token is null)
        {
            throw Unauthorized("The event has no Verification Token ('token').");
        }

        if (!CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(token), Encoding.UTF8.GetBytes(settings.VerificationToken)))
        {
            throw Unauthorized("The Verification Token does not match the connection's verificationToken.");
        }
    }

    private static JsonElement ParseDecrypted(byte[] plain)
    {
        try
        {
            return JsonDocument.Parse(plain).RootElement;
        }
        catch (JsonException)
        {
            throw Malformed("The decrypted body is not JSON.");
        }
    }

    /// <summary>Feishu counts anything but HTTP 200 as a failed push and retries it: every event is answered 200 <c>{}</c>.</summary>
    private static InboundReply Ack() => InboundChecks.JsonReply(new { });

    private static bool IsUrlVerification(JsonElement body) => body.Str("type") == "url_verification";

    private static bool IsLegacyCard(JsonElement body) =>
        body.Str("schema") is null && body.Str("uuid") is null && body.Str("type") is null
        && body.Str("open_message_id") is not null && body.At("action") is not null;

    private static string Header(InboundRequest request, string name) => InboundChecks.Required(request.Headers, name, "header");

    private static InboundRejectedException Unauthorized(string message) => new(InboundRejection.Unauthorized, message);

    private static InboundRejectedException Malformed(string message) => new(InboundRejection.Malformed, message);
}
