using System.Globalization;
using System.Text.Json.Nodes;
using FsCheck.Xunit;
using Isthmus.Sync;

namespace Isthmus.Core.Tests.Sync;

/// <summary>
/// Two-way sync converges, whatever the order things happen in. Random scenarios over two or three systems: records that
/// exist on several sides before sync starts (matched by identity), then people editing fields with different policies,
/// notifications lost, repeated and late, writers sending now and then, polls, transient write failures, stale writes
/// refused by version, reconciliations. Once everything outstanding is delivered, polled and written, every system must
/// agree and the values must be the ones the policies promise (see <see cref="SyncOracle"/>); conflicts must be open exactly
/// where people edited a manual field concurrently, and resolving them converges; writes are bounded and a second pass
/// writes nothing.
/// </summary>
/// <remarks>
/// A failure prints the shrunk scenario and the seed: put <c>Replay = "(seed, gamma)"</c> on the attribute to run it again.
/// </remarks>
public sealed class SyncConvergenceProperties
{
    private const string Entity = "Item";
    private const string Owner = "a";
    private static readonly string[] EditedFields = ["owned", "lww", "note"];

    [Property(Arbitrary = new[] { typeof(SyncScenarios) }, MaxTest = 40)]
    public void Sync_converges_to_what_the_policies_promise(SyncScenario scenario) => RunAsync(scenario).GetAwaiter().GetResult();

    /// <summary>
    /// Found by the property: c's change beats b's in a tie (b &lt; c), and a's change, made on top of c's in the same second,
    /// must then beat b's too, although a &lt; b, or the outcome depends on which of a's and b's changes arrives first. A change
    /// ranks above the value it was made on top of; both delivery orders must end with a's value.
    /// </summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Last_writer_wins_in_a_tie_does_not_depend_on_the_order_changes_arrive(bool bFirst)
    {
        var seeds = Enumerable.Range(0, 3).Select(s => new SeedRecord(0, s, [SeedValue.Shared, SeedValue.Shared, SeedValue.Shared], SameSecond: false)).ToList();
        SyncStep deliverB = new DeliverStep(1, 1, Twice: false, Keep: false), deliverA = new DeliverStep(0, 2, Twice: false, Keep: false);
        await RunAsync(new SyncScenario(3, 1, false, seeds,
        [
            new EditStep(2, 0, ItemField.Lww, SameSecond: false),
            new DeliverStep(2, 1, Twice: false, Keep: false),
            new SendStep(0),
            new EditStep(0, 0, ItemField.Lww, SameSecond: true),
            new EditStep(1, 0, ItemField.Lww, SameSecond: true),
            bFirst ? deliverB : deliverA,
            bFirst ? deliverA : deliverB,
        ]));
    }

    /// <summary>The scenario's configuration: one entity, a field per policy, system b naming its record fields differently.</summary>
    internal static string Yaml(int systems)
    {
        var names = Enumerable.Range(0, systems).Select(SyncStep.Name).ToList();
        var connections = string.Concat(names.Select(n => $"  {n}: {{ kind: fake }}\n"));
        var mappings = string.Concat(names.Select(n =>
            $"      {n}:\n        records: items\n        fields: {{ key: {RecordField(n, "key")}, owned: {RecordField(n, "owned")}, lww: {RecordField(n, "lww")}, note: {RecordField(n, "note")} }}\n"));
        return $"""
            connections:
            {connections}entities:
              {Entity}:
                fields:
                  key: {"{"} type: string, required: true {"}"}
                  owned: string
                  lww: string
                  note: string
                match: [key]
                sync:
                  wins: lww
                  fields:
                    owned: {Owner}
                    note: manual
                mappings:
            {mappings}
            """;
    }

    internal static string RecordField(string system, string field) => system != "b" ? field : field switch
    {
        "key" => "code",
        "owned" => "own",
        "lww" => "latest",
        "note" => "memo",
        _ => throw new ArgumentOutOfRangeException(nameof(field), field, null),
    };

    internal static string? ModelField(string system, string recordField) =>
        new[] { "key", "owned", "lww", "note" }.FirstOrDefault(f => RecordField(system, f) == recordField);

    /// <summary>Runs a scenario and checks what it promises; throws with every broken promise.</summary>
    internal static async Task<ScenarioStats> RunAsync(SyncScenario scenario)
    {
        await using var run = await ScenarioRun.StartAsync(scenario);
        return await run.ExecuteAsync();
    }

    /// <summary>What a run cost: writes sent (refused ones included) against field values people entered.</summary>
    internal sealed record ScenarioStats(int Writes, int Changes, int Systems);

    private sealed class ScenarioRun : IAsyncDisposable
    {
        private readonly SyncScenario _scenario;
        private readonly SharedClock _clock = new();
        private readonly List<RecordChange> _log = [];
        private readonly List<string> _names;
        private readonly List<FakeRecordSystem> _systems;
        private readonly SyncOracle _oracle;
        private readonly int[] _failures;
        private SyncHarness _h = null!;
        private int _values;
        private int _failed;

        private ScenarioRun(SyncScenario scenario)
        {
            _scenario = scenario;
            _names = Enumerable.Range(0, scenario.Systems).Select(SyncStep.Name).ToList();
            _systems = _names.Select(n => new FakeRecordSystem(n, _clock, _log) { ConflictWithoutCurrent = scenario.BareConflicts }).ToList();
            _oracle = new SyncOracle(ModelField, Owner);
            _failures = new int[scenario.Systems];
        }

        private int Writes => _systems.Sum(s => s.Writes);

        public static async Task<ScenarioRun> StartAsync(SyncScenario scenario)
        {
            var run = new ScenarioRun(scenario);
            run._h = await SyncHarness.StartAsync(Yaml(scenario.Systems), run._systems);
            return run;
        }

        public async Task<ScenarioStats> ExecuteAsync()
        {
            foreach (var seed in _scenario.Seeds)
            {
                Tick(seed.SameSecond);
                var name = _names[seed.System];
                var fields = new JsonObject { [RecordField(name, "key")] = Key(seed.Entity) };
                foreach (var field in Enum.GetValues<ItemField>())
                {
                    var f = FieldName(field);
                    switch (seed.Values[(int)field])
                    {
                        case SeedValue.Shared:
                            fields[RecordField(name, f)] = $"{Key(seed.Entity)}.{f}";
                            break;
                        case SeedValue.Own:
                            fields[RecordField(name, f)] = $"{Key(seed.Entity)}.{f}.{name}";
                            break;
                    }
                }

                _systems[seed.System].Edit($"{name}-{Key(seed.Entity)}", fields);
            }

            // Sync starts with a load of every system, before any write is sent: records that already exist are matched, not duplicated.
            foreach (var name in _names)
            {
                await _h.PollAsync(Entity, name);
            }

            _oracle.CatchUp(_log);
            foreach (var step in _scenario.Steps)
            {
                await StepAsync(step);
                _oracle.CatchUp(_log);
            }

            await QuiesceAsync();
            await CheckAsync("after the scenario settled");

            // Bounded: each entity's record is created at most once in each other system, each value entered reaches each other
            // system at most once, and a write refused for a stale version (each one caused by a person's change in that system)
            // or by a failure is tried once more.
            var writes = Writes;
            var refused = _systems.Sum(x => x.Refused);
            var bound = ((_scenario.Systems - 1) * (_scenario.Entities + _oracle.Changes)) + refused + _failed;
            if (writes > bound)
            {
                throw new InvalidOperationException($"{writes} writes for {_oracle.Changes} values entered over {_scenario.Systems} systems, {refused} refused for a stale version, {_failed} failed (at most {bound} expected)");
            }

            // Every open conflict resolved by a person with a new value: that value goes everywhere.
            var conflicts = await _h.Store.ConflictsAsync(openOnly: true, 1000, CancellationToken.None);
            foreach (var conflict in conflicts)
            {
                await ResolveAsync(conflict);
            }

            await QuiesceAsync();
            await CheckAsync("after resolving the conflicts");
            Assert.Empty(await _h.Store.ConflictsAsync(openOnly: true, 1000, CancellationToken.None));
            var settled = Writes;

            // A second pass changes nothing: every notification ever sent arrives again, late, then everything is polled and flushed.
            foreach (var (name, system) in _names.Zip(_systems))
            {
                foreach (var record in system.Sent.ToList())
                {
                    await _h.Engine.IngestAsync(_h.Mapping(Entity, name), [record], null, CancellationToken.None);
                }
            }

            await QuiesceAsync();
            if (Writes != settled)
            {
                throw new InvalidOperationException($"a settled state wrote {Writes - settled} more time(s) when old notifications arrived again");
            }

            var report = await _h.Engine.ReconcileAsync(Entity, dryRun: true, CancellationToken.None);
            if (report.Drift != 0)
            {
                throw new InvalidOperationException($"reconciliation finds drift in a settled state: {string.Join("; ", report.Items.Select(i => $"{i.Kind} {i.Connection}/{i.RecordId} {string.Join(", ", i.Fields.Select(f => $"{f.Field}: {f.Record} vs {f.Model}"))}"))}");
            }

            await CheckAsync("after the second pass");
            return new ScenarioStats(settled, _oracle.Changes, _scenario.Systems);
        }

        private async Task StepAsync(SyncStep step)
        {
            switch (step)
            {
                case EditStep edit:
                    var system = _systems[edit.System];
                    if (RecordOf(edit.System, Key(edit.Entity)) is { } id)
                    {
                        Tick(edit.SameSecond);
                        var name = _names[edit.System];
                        system.Edit(id, new JsonObject { [RecordField(name, FieldName(edit.Field))] = $"{name}{++_values}" });
                    }

                    break;
                case DeliverStep deliver when _systems[deliver.System].Notifications.Count > 0:
                    await _h.DeliverOneAsync(Entity, _names[deliver.System], deliver.Pick % _systems[deliver.System].Notifications.Count, deliver.Twice ? 2 : 1, deliver.Keep);
                    break;
                case DropStep drop when _systems[drop.System].Notifications.Count > 0:
                    _systems[drop.System].Notifications.RemoveAt(drop.Pick % _systems[drop.System].Notifications.Count);
                    break;
                case SendStep send:
                    await _h.SendDueOnceAsync(_names[send.System]);
                    break;
                case FlushStep:
                    await _h.FlushWritesAsync();
                    break;
                case PollStep poll:
                    await _h.PollAsync(Entity, _names[poll.System]);
                    break;
                case FailStep fail when _failures[fail.System] < 3:
                    // Fewer failures than a write's attempts: a write that exhausts them is dead-lettered, which is another promise.
                    _failures[fail.System]++;
                    _failed++;
                    _systems[fail.System].FailNextWrites++;
                    break;
                case ResolveStep resolve:
                    var open = (await _h.Store.ConflictsAsync(openOnly: true, 1000, CancellationToken.None)).OrderBy(c => c.Id).ToList();
                    if (open.Count > 0)
                    {
                        await ResolveAsync(open[resolve.Pick % open.Count]);
                    }

                    break;
                case ReconcileStep:
                    await _h.Engine.ReconcileAsync(Entity, dryRun: false, CancellationToken.None);
                    break;
            }
        }

        /// <summary>Delivers everything waiting, sends every write, polls every system, until a round writes nothing.</summary>
        private async Task QuiesceAsync()
        {
            for (var round = 0; round < 10; round++)
            {
                var before = Writes;
                foreach (var (name, system) in _names.Zip(_systems))
                {
                    while (system.Notifications.Count > 0)
                    {
                        await _h.DeliverOneAsync(Entity, name, 0);
                    }
                }

                await _h.FlushWritesAsync();
                foreach (var name in _names)
                {
                    await _h.PollAsync(Entity, name);
                }

                await _h.FlushWritesAsync();
                _oracle.CatchUp(_log);
                if (Writes == before)
                {
                    return;
                }
            }

            throw new InvalidOperationException("sync did not settle after 10 rounds of delivering, polling and writing: writes keep coming (an echo loop)");
        }

        private async Task CheckAsync(string when)
        {
            var problems = new List<string>();
            var keys = Enumerable.Range(0, _scenario.Entities).Select(Key).ToList();
            var records = new Dictionary<(string Key, string System), (string Id, JsonObject Fields)>();
            for (var s = 0; s < _systems.Count; s++)
            {
                var name = _names[s];
                foreach (var group in _systems[s].Ids.GroupBy(id => (string?)_systems[s].Fields(id)![RecordField(name, "key")] ?? "(none)"))
                {
                    if (!keys.Contains(group.Key))
                    {
                        problems.Add($"{name} holds records of an unknown entity {group.Key}: {string.Join(", ", group)}");
                    }
                    else if (group.Count() > 1)
                    {
                        problems.Add($"{name} holds {group.Count()} records of {group.Key}: {string.Join(", ", group)} (duplicates)");
                    }
                    else
                    {
                        records[(group.Key, name)] = (group.Single(), _systems[s].Fields(group.Single())!);
                    }
                }

                problems.AddRange(keys.Where(k => !_systems[s].Ids.Any(id => (string?)_systems[s].Fields(id)![RecordField(name, "key")] == k))
                    .Select(k => $"{name} holds no record of {k}"));
            }

            var conflicts = await _h.Store.ConflictsAsync(openOnly: true, 1000, CancellationToken.None);
            var errors = await _h.Store.ErrorsAsync(openOnly: true, 100, CancellationToken.None);
            problems.AddRange(errors.Select(e => $"open sync error on {e.Connection}/{e.RecordId}: {string.Join("; ", e.Problems.Select(p => p.Message))}"));
            foreach (var key in keys)
            {
                if (_names.Any(n => !records.ContainsKey((key, n))))
                {
                    continue;
                }

                var entityIds = new HashSet<string>();
                foreach (var name in _names)
                {
                    var links = await _h.Store.LinksByRecordAsync(Entity, name, "items", [records[(key, name)].Id], CancellationToken.None);
                    if (links.Count == 0)
                    {
                        problems.Add($"{name}/{records[(key, name)].Id} ({key}) is linked to no entity");
                    }

                    entityIds.UnionWith(links.Select(l => l.EntityId));
                }

                if (entityIds.Count != 1)
                {
                    problems.Add($"the records of {key} are linked to {entityIds.Count} entities");
                    continue;
                }

                var entity = (await _h.Store.EntitiesAsync(Entity, [entityIds.Single()], CancellationToken.None)).Single();
                foreach (var field in EditedFields)
                {
                    var values = _names.ToDictionary(n => n, n => (string?)records[(key, n)].Fields[RecordField(n, field)]);
                    var shown = string.Join(", ", values.Select(v => $"{v.Key}={v.Value}"));
                    var latest = _oracle.Latest(key, field);
                    var conflict = conflicts.FirstOrDefault(c => c.EntityId == entity.Id && c.Field == field);
                    if (field == "note" && latest.Select(e => e.Value).Distinct().Count() > 1)
                    {
                        // Edited concurrently: a person decides, and meanwhile no side's value is lost.
                        if (conflict is null)
                        {
                            problems.Add($"{key}.{field} was edited concurrently ({SyncOracle.Describe(latest)}) but has no open conflict; systems hold {shown}");
                        }
                        else if (latest.Select(e => e.Value).Except(conflict.Candidates.Select(c => (string?)c.Value)).ToList() is { Count: > 0 } lost)
                        {
                            problems.Add($"{key}.{field}'s conflict offers {string.Join(", ", conflict.Candidates.Select(c => $"{c.Source}:{c.Value}"))} but not {string.Join(", ", lost)}");
                        }

                        continue;
                    }

                    if (conflict is not null)
                    {
                        problems.Add($"{key}.{field} has an open conflict ({string.Join(", ", conflict.Candidates.Select(c => $"{c.Source}:{c.Value}"))}) but its edits were not concurrent: {SyncOracle.Describe(latest)}");
                        continue;
                    }

                    if (latest.Count == 0)
                    {
                        if (values.Values.Any(v => v is not null) || entity.Fields.GetValueOrDefault(field) is not null)
                        {
                            problems.Add($"{key}.{field} was never entered but holds {shown}, model '{entity.Fields.GetValueOrDefault(field)}'");
                        }

                        continue;
                    }

                    if (values.Values.Distinct().Count() != 1)
                    {
                        problems.Add($"{key}.{field} differs between systems: {shown}");
                        continue;
                    }

                    var value = values.Values.First()!;
                    if ((string?)entity.Fields.GetValueOrDefault(field) != value)
                    {
                        problems.Add($"{key}.{field} is '{value}' in every system but '{entity.Fields.GetValueOrDefault(field)}' in the model");
                    }

                    var why = field switch
                    {
                        "owned" => _oracle.OwnerLast(key) is { } last && last != value ? $"its owner {Owner} last entered '{last}'" : null,
                        "lww" => _oracle.WhyNotLastWriter(key, field, value),
                        _ => latest.Count == 1 && latest[0].Value == value ? null : $"the latest edit is {SyncOracle.Describe(latest)}",
                    };
                    if (why is not null)
                    {
                        problems.Add($"{key}.{field} is '{value}' everywhere, but {why}");
                    }
                }
            }

            if (problems.Count > 0)
            {
                throw new InvalidOperationException($"{when}:\n  {string.Join("\n  ", problems)}");
            }
        }

        private async Task ResolveAsync(SyncConflict conflict)
        {
            var value = $"r{++_values}";
            var key = await KeyOfEntityAsync(conflict.EntityId);
            Assert.Null(await _h.Engine.ResolveAsync(conflict.Id, JsonValue.Create(value), null, "tester", CancellationToken.None));
            _oracle.Resolved(key, conflict.Field, value, conflict.Candidates.Select(c => (string?)c.Value));
        }

        private async Task<string> KeyOfEntityAsync(string entityId) =>
            (string)(await _h.Store.EntitiesAsync(Entity, [entityId], CancellationToken.None)).Single().Fields["key"]!;

        private string? RecordOf(int system, string key) =>
            _systems[system].Ids.FirstOrDefault(id => (string?)_systems[system].Fields(id)![RecordField(_names[system], "key")] == key);

        private void Tick(bool sameSecond)
        {
            if (!sameSecond)
            {
                _clock.Now = _clock.Now.AddSeconds(1);
            }
        }

        private static string Key(int entity) => "k" + entity.ToString(CultureInfo.InvariantCulture);

        private static string FieldName(ItemField field) => field.ToString().ToLowerInvariant();

        public async ValueTask DisposeAsync() => await _h.DisposeAsync();
    }
}
