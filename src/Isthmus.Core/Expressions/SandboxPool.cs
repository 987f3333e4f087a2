using System.Collections.Concurrent;

namespace Isthmus.Expressions;

/// <summary>A bounded pool of <see cref="Sandbox"/> engines shared by all scopes of one <see cref="ExpressionEngine"/>.</summary>
internal sealed class SandboxPool(IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> codeTables)
{
    // Enough for every worker thread to hold one while a few more are in flight; extra engines are dropped.
    private static readonly int Capacity = Environment.ProcessorCount * 4;

    private readonly ConcurrentBag<Sandbox> _idle = [];

    public Sandbox Rent() => _idle.TryTake(out var sandbox) ? sandbox : new Sandbox(codeTables);

    public void Return(Sandbox sandbox)
    {
        if (!sandbox.Broken && _idle.Count < Capacity)
        {
            _idle.Add(sandbox);
        }
    }
}
