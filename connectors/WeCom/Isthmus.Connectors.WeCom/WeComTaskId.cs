using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace Isthmus.Connectors.WeCom;

/// <summary>
/// A template card's <c>task_id</c> (unique per app, at most 128 bytes of <c>[0-9A-Za-z_-@]</c>) made from the
/// flow's card id plus a suffix from the delivery, so the card id comes back with every button press. An id of other
/// characters is carried base64url-encoded after a leading <c>@</c>.
/// </summary>
public static class WeComTaskId
{
    private const int MaxBytes = 128;

    /// <summary>The task id for card <paramref name="cardId"/> sent by delivery <paramref name="idempotencyKey"/>; <c>null</c> when too long.</summary>
    public static string? For(string cardId, string idempotencyKey)
    {
        var suffix = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(idempotencyKey)).AsSpan(0, 5));
        var head = cardId.Length > 0 && cardId.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-')
            ? cardId
            : "@" + Base64Url.EncodeToString(Encoding.UTF8.GetBytes(cardId));
        var taskId = $"{head}@{suffix}";
        return taskId.Length <= MaxBytes ? taskId : null;
    }

    /// <summary>The card id a task id was made from (the task id itself when it was not made by <see cref="For"/>).</summary>
    public static string CardId(string taskId)
    {
        if (taskId.StartsWith('@'))
        {
            var end = taskId.IndexOf('@', 1);
            var encoded = end < 0 ? taskId[1..] : taskId[1..end];
            try
            {
                return Encoding.UTF8.GetString(Base64Url.DecodeFromChars(encoded));
            }
            catch (FormatException)
            {
                return taskId;
            }
        }

        var at = taskId.LastIndexOf('@');
        return at > 0 ? taskId[..at] : taskId;
    }
}
