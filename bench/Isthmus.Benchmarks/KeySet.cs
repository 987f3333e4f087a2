namespace Isthmus.Benchmarks;

/// <summary>
/// Set of seen idempotency keys, stored as 64-bit FNV-1a hashes in striped <see cref="HashSet{T}"/>s:
/// no object per key, so a run with millions of deliveries does not grow the sink's heap with strings.
/// The chance of two distinct keys colliding among a million is about 3 in 100 million.
/// </summary>
public sealed class KeySet
{
    const int Stripes = 32;

    readonly HashSet<ulong>[] _sets = Enumerable.Range(0, Stripes).Select(_ => new HashSet<ulong>(4096)).ToArray();

    /// <summary>Adds the key; false when it was already there.</summary>
    public bool Add(string key)
    {
        ulong hash = Fnv1a(key);
        var set = _sets[(int)(hash % Stripes)];
        lock (set)
        {
            return set.Add(hash);
        }
    }

    static ulong Fnv1a(string s)
    {
        ulong hash = 14695981039346656037;
        foreach (char c in s)
        {
            hash = (hash ^ (byte)c) * 1099511628211;
            hash = (hash ^ (byte)(c >> 8)) * 1099511628211;
        }

        return hash;
    }
}
