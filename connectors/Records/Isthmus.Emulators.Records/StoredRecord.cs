using System.Globalization;
using System.Text.Json.Nodes;

namespace Isthmus.Emulators.Records;

/// <summary>One record as the emulator keeps it: its own fields, plus the system's bookkeeping.</summary>
internal sealed class StoredRecord(string id)
{
    /// <summary>The bookkeeping fields every item carries; never taken from a client's body.</summary>
    public static readonly string[] MetaFields = ["id", "version", "updatedAt", "deleted"];

    public string Id { get; } = id;

    public JsonObject Fields { get; set; } = [];

    public long Version { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }

    /// <summary>The change sequence number of the last change (unique across the emulator).</summary>
    public long Seq { get; set; }

    public bool Deleted { get; set; }

    public ChangeKey Key => new(UpdatedAt.UtcTicks, Seq);

    /// <summary>The item as the API shows it: the fields, then <c>id</c>, <c>version</c>, <c>updatedAt</c> (and <c>deleted</c> for tombstones).</summary>
    public JsonObject ToJson()
    {
        var item = (JsonObject)Fields.DeepClone();
        item["id"] = Id;
        item["version"] = Version;
        item["updatedAt"] = FormatTime(UpdatedAt);
        if (Deleted)
        {
            item["deleted"] = true;
        }

        return item;
    }

    public static string FormatTime(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
}

/// <summary>The position of a change in a type's change order: (updatedAt, change sequence), ascending.</summary>
internal readonly record struct ChangeKey(long Ticks, long Seq) : IComparable<ChangeKey>
{
    public int CompareTo(ChangeKey other) => Ticks != other.Ticks ? Ticks.CompareTo(other.Ticks) : Seq.CompareTo(other.Seq);

    /// <summary>An opaque but readable cursor: <c>ticks.seq</c>.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Ticks}.{Seq}");

    public static bool TryParse(string? text, out ChangeKey key)
    {
        key = default;
        var dot = text?.IndexOf('.', StringComparison.Ordinal) ?? -1;
        if (dot <= 0
            || !long.TryParse(text.AsSpan(0, dot), NumberStyles.None, CultureInfo.InvariantCulture, out var ticks)
            || !long.TryParse(text.AsSpan(dot + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var seq))
        {
            return false;
        }

        key = new ChangeKey(ticks, seq);
        return true;
    }
}
