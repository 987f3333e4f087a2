using System.Collections.Concurrent;

namespace Isthmus.Expressions;

/// <summary>A bounded pool of <see cref="Sandbox"/> engines shared by all scopes of one <see cref="ExpressionEngine"/>.</summary>
internal sealed class SandboxPool(IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> codeTables)
{
    // Enough for every worker thread to hold one while a few more are in flight; extra engines are dropped.
    private static readonly int Capacity = Math.Max(64, Environment.ProcessorCount * 4);

    private readonly ConcurrentQueue<Sandbox> _idle = new();

    // Reserved before enqueueing, so racing returns cannot push the pool past its capacity.
    private int _idleCount;

    public Sandbox Rent()
    {
        if (_idle.TryDequeue(out var sandbox))
        {
            Interlocked.Decrement(ref _idleCount);
            return sandbox;
        }

        return new Sandbox(codeTables);
    }

    public void Return(Sandbox sandbox)
    {
        if (sandbox.Broken)
        {
            return;
        }

        if (Interlocked.Increment(ref _idleCount) <= Capacity)
        {
            _idle.Enqueue(sandbox);
            return;
        }

        Interlocked.Decrement(ref _idleCount);
    }
}
