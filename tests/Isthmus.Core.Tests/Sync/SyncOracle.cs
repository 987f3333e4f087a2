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
    /// Whether <paramref name="value"/> may be the last-writer-wins outcome of a field: it is one of the latest edits and, dated as
    /// late as its system could have reported it, it is newer (ties: the greater connection name) than every other latest edit
    /// dated as early as possible. Systems date whole records, not fields, so a change read later than it was made (its
    /// notification lost or late) carries the date of the record's later changes, up to the first time sync wrote the record
    /// (a write that passed its version check means sync had read the record by then).
    /// </summary>
    public string? WhyNotLastWriter(string key, string field, string value)
    {
        var latest = Latest(key, field);
        if (!_byValue.TryGetValue(value, out var edit) || !latest.Contains(edit))
        {
            return $"'{value}' is not one of the latest edits ({Describe(latest)})";
        }

        var newest = edit.Holders.Select(h => (h.Hi, h.System)).Max(TimeThenName);
        foreach (var other in latest.Where(e => e != edit))
        {
            var oldest = other.Holders.Select(h => (h.Lo, h.System)).Min(TimeThenName);
            if (TimeThenName.Compare(newest, oldest) <= 0)
            {
                return $"'{other.Value}' ({Describe(other)}) is newer than '{value}' ({Describe(edit)})";
            }
        }

        return null;
    }

    public static string Describe(IEnumerable<Edit> edits) => string.Join(", ", edits.Select(e => $"'{e.Value}' {Describe(e)}"));

    private static string Describe(Edit edit) => edit.Holders.Count == 0
        ? "resolved"
        : string.Join(" and ", edit.Holders.Select(h => $"in {h.System} at {h.Lo:HH:mm:ss}{(h.Hi > h.Lo ? $"..{h.Hi:HH:mm:ss}" : "")}"));

    private static readonly Comparer<(DateTimeOffset At, string System)> TimeThenName = Comparer<(DateTimeOffset At, string System)>.Create((x, y) =>
        x.At != y.At ? x.At.CompareTo(y.At) : string.CompareOrdinal(x.System, y.System));

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
                    edit = new Edit(_edits.Count, key, field!, value, [.. seen]);
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
            }
        }
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
