using System.Text;
using FsCheck;
using FsCheck.Fluent;

namespace Isthmus.Core.Tests.Sync;

/// <summary>The fields of the scenarios' entity that people edit, one per sync policy.</summary>
public enum ItemField
{
    /// <summary>Owned by system <c>a</c>: its value is the truth, others are put back.</summary>
    Owned,
    /// <summary>Last writer wins.</summary>
    Lww,
    /// <summary>Concurrent edits become a conflict for a person.</summary>
    Note,
}

/// <summary>One step of a scenario. Steps name systems and entities by number and pick notifications by position modulo
/// what is waiting, so any subsequence of a scenario is still a scenario (that is what shrinking needs).</summary>
public abstract record SyncStep
{
    internal static string Name(int system) => ((char)('a' + system)).ToString();
}

/// <summary>A person edits one field of entity k<paramref name="Entity"/>'s record in a system (skipped while the system has no such record).</summary>
/// <param name="SameSecond">The clock does not move: the change shares its timestamp with the previous one (a tie).</param>
public sealed record EditStep(int System, int Entity, ItemField Field, bool SameSecond) : SyncStep
{
    /// <inheritdoc/>
    public override string ToString() => $"{Name(System)} edits k{Entity}.{Field.ToString().ToLowerInvariant()}{(SameSecond ? " in the same second" : "")}";
}

/// <summary>One waiting notification of a system arrives, picked by position (so out of order and late).</summary>
public sealed record DeliverStep(int System, int Pick, bool Twice, bool Keep) : SyncStep
{
    /// <inheritdoc/>
    public override string ToString() => $"deliver {Name(System)}#{Pick}{(Twice ? " twice" : "")}{(Keep ? " and keep it for a redelivery" : "")}";
}

/// <summary>One waiting notification of a system is lost.</summary>
public sealed record DropStep(int System, int Pick) : SyncStep
{
    /// <inheritdoc/>
    public override string ToString() => $"drop {Name(System)}#{Pick}";
}

/// <summary>The writer of one system sends what is due, once.</summary>
public sealed record SendStep(int System) : SyncStep
{
    /// <inheritdoc/>
    public override string ToString() => $"send to {Name(System)}";
}

/// <summary>Every writer sends until nothing is due.</summary>
public sealed record FlushStep : SyncStep
{
    /// <inheritdoc/>
    public override string ToString() => "flush";
}

/// <summary>A poll of one system's change feed.</summary>
public sealed record PollStep(int System) : SyncStep
{
    /// <inheritdoc/>
    public override string ToString() => $"poll {Name(System)}";
}

/// <summary>The next write to one system fails with a transient error (at most three per system and scenario, fewer than a write's attempts).</summary>
public sealed record FailStep(int System) : SyncStep
{
    /// <inheritdoc/>
    public override string ToString() => $"{Name(System)} fails its next write";
}

/// <summary>A person resolves one of the open conflicts (picked by position), with a value of their own.</summary>
public sealed record ResolveStep(int Pick) : SyncStep
{
    /// <inheritdoc/>
    public override string ToString() => $"resolve conflict #{Pick}";
}

/// <summary>A reconciliation runs (and repairs).</summary>
public sealed record ReconcileStep : SyncStep
{
    /// <inheritdoc/>
    public override string ToString() => "reconcile";
}

/// <summary>What a seed record holds in a field.</summary>
public enum SeedValue
{
    /// <summary>The value every seed of the entity that shares holds.</summary>
    Shared,
    /// <summary>A value of this system's own.</summary>
    Own,
    /// <summary>Nothing: the record lacks the field.</summary>
    Absent,
}

/// <summary>A record of entity k<paramref name="Entity"/> that exists in a system before sync starts.</summary>
/// <param name="Values">Per field (owned, lww, note).</param>
public sealed record SeedRecord(int Entity, int System, SeedValue[] Values, bool SameSecond)
{
    /// <inheritdoc/>
    public override string ToString() =>
        $"k{Entity} in {SyncStep.Name(System)} ({string.Join(", ", Enum.GetValues<ItemField>().Select(f => $"{f.ToString().ToLowerInvariant()} {Values[(int)f].ToString().ToLowerInvariant()}"))}){(SameSecond ? " in the same second" : "")}";
}

/// <summary>Records that exist before sync starts, then a random interleaving of edits, notifications (lost, repeated, late), writes, polls.</summary>
/// <param name="BareConflicts">Systems refuse stale writes without the current record, so the engine reads it again.</param>
public sealed record SyncScenario(int Systems, int Entities, bool BareConflicts, IReadOnlyList<SeedRecord> Seeds, IReadOnlyList<SyncStep> Steps)
{
    /// <inheritdoc/>
    public override string ToString()
    {
        var text = new StringBuilder();
        text.Append(CultureInfoInvariant($"{Systems} systems, {Entities} entities{(BareConflicts ? ", bare 412s" : "")}\n"));
        foreach (var seed in Seeds)
        {
            text.Append("  seed ").Append(seed).Append('\n');
        }

        for (var i = 0; i < Steps.Count; i++)
        {
            text.Append(CultureInfoInvariant($"  {i + 1}. {Steps[i]}\n"));
        }

        return text.ToString();
    }

    private static string CultureInfoInvariant(FormattableString s) => FormattableString.Invariant(s);
}

/// <summary>Generates and shrinks <see cref="SyncScenario"/>s.</summary>
public static class SyncScenarios
{
    /// <summary>The arbitrary FsCheck uses for <see cref="SyncScenario"/> parameters.</summary>
    public static Arbitrary<SyncScenario> Scenario() => Arb.From(Generate(), Shrink);

    private static Gen<SyncScenario> Generate() =>
        from systems in Gen.Choose(2, 3)
        from entities in Gen.Choose(1, 3)
        from bare in Gen.Elements(false, false, true)
        from seeds in Seeds(systems, entities)
        from count in Gen.Choose(4, 40)
        from steps in Gen.ListOf(Step(systems, entities), count)
        select new SyncScenario(systems, entities, bare, seeds, steps.ToList());

    private static Gen<IReadOnlyList<SeedRecord>> Seeds(int systems, int entities) =>
        Gen.CollectToList(Enumerable.Range(0, entities), e =>
                from mask in Gen.Choose(1, (1 << systems) - 1)
                from seeds in Gen.CollectToList(Enumerable.Range(0, systems).Where(s => (mask & (1 << s)) != 0), s =>
                    from values in Gen.ArrayOf(Gen.Elements(SeedValue.Shared, SeedValue.Shared, SeedValue.Own, SeedValue.Own, SeedValue.Absent), 3)
                    from same in Gen.Elements(false, false, true)
                    select new SeedRecord(e, s, values, same))
                select seeds)
            .Select(lists => (IReadOnlyList<SeedRecord>)lists.SelectMany(l => l).ToList());

    private static Gen<SyncStep> Step(int systems, int entities)
    {
        var system = Gen.Choose(0, systems - 1);
        var pick = Gen.Frequency((3, Gen.Constant(0)), (2, Gen.Choose(1, 4)));
        var yes = Gen.Elements(false, false, false, true);
        return Gen.Frequency(
            (30, from s in system from e in Gen.Choose(0, entities - 1) from f in Gen.Elements(Enum.GetValues<ItemField>()) from same in yes
                 select (SyncStep)new EditStep(s, e, f, same)),
            (26, from s in system from p in pick from twice in yes from keep in yes select (SyncStep)new DeliverStep(s, p, twice, keep)),
            (5, from s in system from p in pick select (SyncStep)new DropStep(s, p)),
            (10, system.Select(s => (SyncStep)new SendStep(s))),
            (6, Gen.Constant((SyncStep)new FlushStep())),
            (8, system.Select(s => (SyncStep)new PollStep(s))),
            (3, system.Select(s => (SyncStep)new FailStep(s))),
            (2, Gen.Constant((SyncStep)new ReconcileStep())),
            (3, pick.Select(p => (SyncStep)new ResolveStep(p))));
    }

    /// <summary>Smaller scenarios first: fewer steps (halves, then quarters, … then one at a time), fewer systems and entities, plainer steps and seeds.</summary>
    private static IEnumerable<SyncScenario> Shrink(SyncScenario s)
    {
        for (var chunk = Math.Max(1, s.Steps.Count / 2); chunk >= 1; chunk /= 2)
        {
            for (var at = 0; at + chunk <= s.Steps.Count; at += chunk)
            {
                yield return s with { Steps = [.. s.Steps.Take(at), .. s.Steps.Skip(at + chunk)] };
            }
        }

        if (s.Systems > 2)
        {
            var last = s.Systems - 1;
            var seeds = s.Seeds.Where(x => x.System != last).ToList();
            if (Enumerable.Range(0, s.Entities).All(e => seeds.Any(x => x.Entity == e)))
            {
                yield return s with { Systems = last, Seeds = seeds, Steps = s.Steps.Where(x => SystemOf(x) != last).ToList() };
            }
        }

        if (s.Entities > 1)
        {
            var last = s.Entities - 1;
            yield return s with
            {
                Entities = last,
                Seeds = s.Seeds.Where(x => x.Entity != last).ToList(),
                Steps = s.Steps.Where(x => x is not EditStep { Entity: var e } || e != last).ToList(),
            };
        }

        if (s.BareConflicts)
        {
            yield return s with { BareConflicts = false };
        }

        for (var i = 0; i < s.Seeds.Count; i++)
        {
            var seed = s.Seeds[i];
            if (s.Seeds.Count(x => x.Entity == seed.Entity) > 1)
            {
                yield return s with { Seeds = [.. s.Seeds.Take(i), .. s.Seeds.Skip(i + 1)] };
            }

            for (var f = 0; f < seed.Values.Length; f++)
            {
                if (seed.Values[f] != SeedValue.Shared)
                {
                    var values = (SeedValue[])seed.Values.Clone();
                    values[f] = seed.Values[f] == SeedValue.Absent ? SeedValue.Own : SeedValue.Shared;
                    yield return s with { Seeds = [.. s.Seeds.Take(i), seed with { Values = values }, .. s.Seeds.Skip(i + 1)] };
                }
            }

            if (seed.SameSecond)
            {
                yield return s with { Seeds = [.. s.Seeds.Take(i), seed with { SameSecond = false }, .. s.Seeds.Skip(i + 1)] };
            }
        }

        for (var i = 0; i < s.Steps.Count; i++)
        {
            foreach (var plainer in Plainer(s.Steps[i]))
            {
                yield return s with { Steps = [.. s.Steps.Take(i), plainer, .. s.Steps.Skip(i + 1)] };
            }
        }
    }

    private static IEnumerable<SyncStep> Plainer(SyncStep step)
    {
        switch (step)
        {
            case EditStep { SameSecond: true } edit:
                yield return edit with { SameSecond = false };
                break;
            case DeliverStep deliver:
                if (deliver.Twice)
                {
                    yield return deliver with { Twice = false };
                }

                if (deliver.Keep)
                {
                    yield return deliver with { Keep = false };
                }

                if (deliver.Pick > 0)
                {
                    yield return deliver with { Pick = 0 };
                }

                break;
            case ResolveStep { Pick: > 0 } resolve:
                yield return resolve with { Pick = 0 };
                break;
            case DropStep { Pick: > 0 } drop:
                yield return drop with { Pick = 0 };
                break;
            case SendStep:
                yield return new FlushStep();
                break;
        }
    }

    private static int? SystemOf(SyncStep step) => step switch
    {
        EditStep x => x.System,
        DeliverStep x => x.System,
        DropStep x => x.System,
        SendStep x => x.System,
        PollStep x => x.System,
        FailStep x => x.System,
        _ => null,
    };
}
