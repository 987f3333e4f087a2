namespace Isthmus.Core.Tests.Sync;

/// <summary>
/// What the people of a scenario did, and what each system's record had seen when they did it: the expected outcome of sync,
/// computed from the systems' change log alone, without looking at the engine.
/// </summary>
/// <remarks>
/// Every value a person enters is unique, so a value identifies the edit that made it. An edit's history is every edit the
/// record it was made in had already seen (made there, or written there by sync, with their own histories): an edit made on
/// top of another supersedes it; two edits that did not see each other are concurrent. The edits nothing superseded are the
/// ones a policy has to choose between.
/// </remarks>
/// <param name="modelField">The model field a system's record field holds (<c>null</c> for fields the mapping does not read).</param>
/// <param name="owner">The system that owns the field <c>owned</c>.</param>
internal sealed class SyncOracle(Func<string, string, string?> modelField, string owner)
{
    private readonly List<Edit> _edits = [];
    private readonly Dictionary<string, Edit> _byValue = new(StringComparer.Ordinal);
    private readonly Dictionary<(string System, string Key, string Field), HashSet<int>> _seen = [];
    private readonly Dictionary<(string System, string Key, string Field), HashSet<int>> _written = [];
    private readonly Dictionary<(string System, string RecordId), string> _keys = [];
    private readonly Dictionary<string, string> _ownerLast = new(StringComparer.Ordinal);
    private int _applied;

    /// <summary>Field values people entered (seeds included) and conflicts resolved.</summary>
    public int Changes => _edits.Count;

    /// <summary>Takes in the changes logged since the last call.</summary>
    public void CatchUp(IReadOnlyList<RecordChange> log)
    {
        while (_applied < log.Count)
        {
            Apply(log[_applied++]);
        }
    }

    /// <summary>
    /// A person resolved a conflict with a new value: it supersedes the values the conflict offered and what they superseded,
    /// not edits sync had not read yet (those are concurrent with the resolution).
    /// </summary>
    public void Resolved(string key, string field, string value, IEnumerable<string?> offered)
    {
        var history = new HashSet<int>();
        foreach (var candidate in offered)
        {
            if (candidate is not null && _byValue.TryGetValue(candidate, out var e))
            {
                history.UnionWith(e.History);
                history.Add(e.Id);
            }
        }

        var edit = new Edit(_edits.Count, key, field, value, history);
        _edits.Add(edit);
        _byValue[value] = edit;
    }

    /// <summary>The edits of a field that nothing superseded.</summary>
    public IReadOnlyList<Edit> Latest(string key, string field)
    {
        var edits = _edits.Where(e => e.Key == key && e.Field == field).ToList();
        return edits.Where(e => !edits.Any(other => other.History.Contains(e.Id))).ToList();
    }

    /// <summary>The last value the owner's people entered in the owned field, if they ever did.</summary>
    public string? OwnerLast(string key) => _ownerLast.GetValueOrDefault(key);

    /// <summary>
    /// Whether <paramref name="value"/> may be the last-writer-wins outcome of a field: it is one of the latest edits and, ranked
    /// as high as it can be, it ranks above every other latest edit ranked as low as it can be. An edit's rank is its time and
    /// its system's name, lifted above the rank of the value it was made on top of (see <see cref="Lift"/>). Systems date whole
    /// records, not fields, so a change read later than it was made (its notification lost or late) carries the date of the
    /// record's later changes, up to the first time sync wrote the record (a write that passed its version check means sync had
    /// read the record by then); and sync may not have read the edits a record made before this one, so the lowest rank lifts
    /// only above the values sync itself wrote there.
    /// </summary>
    public string? WhyNotLastWriter(string key, string field, string value)
    {
        var latest = Latest(key, field);
        if (!_byValue.TryGetValue(value, out var edit) || !latest.Contains(edit))
        {
            return $"'{value}' is not one of the latest edits ({Describe(latest)})";
        }

        var highest = High(edit);
        foreach (var other in latest.Where(e => e != edit))
        {
            var lowest = Low(other);
            if (Rank.Compare(highest, lowest) <= 0)
            {
                return $"'{other.Value}' ({Describe(other)}, ranked at least {Show(lowest)}) ranks above '{value}' ({Describe(edit)}, ranked at most {Show(highest)})";
            }
        }

        return null;
    }

    /// <summary>
    /// The rank of a change made at <paramref name="own"/> on top of a value ranked <paramref name="under"/>: its own time when that
    /// is later; otherwise the time of the value under it, one step above it (the same rule as the engine's).
    /// </summary>
    public static (DateTimeOffset At, int Step, string System) Lift((DateTimeOffset At, string System) own, (DateTimeOffset At, int Step, string System)? under) =>
        under is not { } u || own.At > u.At ? (own.At, 0, own.System) : (u.At, u.Step + 1, own.System);

    private (DateTimeOffset, int, string) High(Edit edit)
    {
        (DateTimeOffset, int, string)? under = null;
        foreach (var id in edit.History.Where(id => _edits[id].Holders.Count > 0))
        {
            under = Max(under, High(_edits[id]));
        }

        return edit.Holders.Select(h => Lift((h.Hi, h.System), under)).Max(Rank)!;
    }

    private (DateTimeOffset, int, string) Low(Edit edit)
    {
        (DateTimeOffset, int, string)? under = null;
        foreach (var id in edit.Written.Where(id => _edits[id].Holders.Count > 0))
        {
            under = Max(under, Low(_edits[id]));
        }

        return edit.Holders.Select(h => Lift((h.Lo, h.System), under)).Min(Rank)!;
    }

    private static (DateTimeOffset, int, string) Max((DateTimeOffset, int, string)? x, (DateTimeOffset, int, string) y) =>
        x is { } v && Rank.Compare(v, y) >= 0 ? v : y;

    private static string Show((DateTimeOffset At, int Step, string System) rank) =>
        $"{rank.At:HH:mm:ss}{(rank.Step > 0 ? $"+{rank.Step}" : "")} {rank.System}";

    /// <summary>Time, then steps above a value of the same time, then the system's name (ordinal).</summary>
    private static readonly Comparer<(DateTimeOffset At, int Step, string System)> Rank = Comparer<(DateTimeOffset At, int Step, string System)>.Create((x, y) =>
        x.At != y.At ? x.At.CompareTo(y.At) : x.Step != y.Step ? x.Step.CompareTo(y.Step) : string.CompareOrdinal(x.System, y.System));

    public static string Describe(IEnumerable<Edit> edits) => string.Join(", ", edits.Select(e => $"'{e.Value}' {Describe(e)}"));

    private static string Describe(Edit edit) => edit.Holders.Count == 0
        ? "resolved"
        : string.Join(" and ", edit.Holders.Select(h => $"in {h.System} at {h.Lo:HH:mm:ss}{(h.Hi > h.Lo ? $"..{h.Hi:HH:mm:ss}" : "")}"));

    private void Apply(RecordChange change)
    {
        if (!_keys.TryGetValue((change.System, change.RecordId), out var key))
        {
            key = change.Fields.Where(f => modelField(change.System, f.Key) == "key").Select(f => (string?)f.Value).FirstOrDefault()
                ?? throw new InvalidOperationException($"record {change.System}/{change.RecordId} was created without its key");
            _keys[(change.System, change.RecordId)] = key;
        }

        var fields = change.Fields.Select(f => (Field: modelField(change.System, f.Key), Value: f.Value))
            .Where(f => f.Field is not null and not "key").ToList();

        // Until sync writes the record, each later change of it can be the one that reports an earlier edit.
        foreach (var edit in _edits)
        {
            foreach (var holder in edit.Holders.Where(h => h.Open && h.System == change.System && h.RecordId == change.RecordId))
            {
                if (!change.ByUser || fields.Any(f => f.Field == edit.Field))
                {
                    holder.Open = false;
                }
                else
                {
                    holder.Hi = change.UpdatedAt;
                }
            }
        }

        foreach (var (field, node) in fields)
        {
            var value = (string?)node ?? throw new InvalidOperationException(
                $"{(change.ByUser ? "a person" : "sync")} cleared {key}.{field} in {change.System}/{change.RecordId}{(change.ByUser ? "" : ": a value was wiped")}");
            var seen = Seen(change.System, key, field!);
            if (change.ByUser)
            {
                if (!_byValue.TryGetValue(value, out var edit))
                {
                    edit = new Edit(_edits.Count, key, field!, value, [.. seen]) { Written = [.. Written(change.System, key, field!)] };
                    _edits.Add(edit);
                    _byValue[value] = edit;
                }

                edit.Holders.Add(new Holder(change.System, change.RecordId, change.UpdatedAt));
                seen.UnionWith(edit.History);
                seen.Add(edit.Id);
                if (change.System == owner && field == "owned")
                {
                    _ownerLast[key] = value;
                }
            }
            else
            {
                if (!_byValue.TryGetValue(value, out var edit))
                {
                    throw new InvalidOperationException($"sync wrote {field} = '{value}' to {change.System}/{change.RecordId}, a value nobody entered");
                }

                if (edit.Key != key || edit.Field != field)
                {
                    throw new InvalidOperationException($"sync wrote '{value}' ({edit.Key}.{edit.Field}) into {key}.{field} of {change.System}/{change.RecordId}");
                }

                seen.UnionWith(edit.History);
                seen.Add(edit.Id);
                Written(change.System, key, field!).Add(edit.Id);
            }
        }
    }

    private HashSet<int> Written(string system, string key, string field)
    {
        if (!_written.TryGetValue((system, key, field), out var written))
        {
            _written[(system, key, field)] = written = [];
        }

        return written;
    }

    private HashSet<int> Seen(string system, string key, string field)
    {
        if (!_seen.TryGetValue((system, key, field), out var seen))
        {
            _seen[(system, key, field)] = seen = [];
        }

        return seen;
    }

    /// <summary>One value a person entered (or several systems held before sync started).</summary>
    internal sealed class Edit(int id, string key, string field, string value, HashSet<int> history)
    {
        public int Id { get; } = id;

        public string Key { get; } = key;

        public string Field { get; } = field;

        public string Value { get; } = value;

        /// <summary>The edits this one was made on top of.</summary>
        public HashSet<int> History { get; } = history;

        /// <summary>The values sync had written to the record before this edit was made there: sync has surely read those.</summary>
        public HashSet<int> Written { get; init; } = [];

        /// <summary>The records it was entered in, with the span of dates it can be reported with.</summary>
        public List<Holder> Holders { get; } = [];
    }

    internal sealed class Holder(string system, string recordId, DateTimeOffset at)
    {
        public string System { get; } = system;

        public string RecordId { get; } = recordId;

        public DateTimeOffset Lo { get; } = at;

        public DateTimeOffset Hi { get; set; } = at;

        public bool Open { get; set; } = true;
    }
}
