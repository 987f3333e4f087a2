namespace Isthmus.Configuration;

/// <summary>"Did you mean …?" for names a user typed.</summary>
public static class Suggestion
{
    /// <summary>
    /// The known name one or two edits away from <paramref name="typed"/> (case-insensitive), if any:
    /// such a name is almost always what was meant.
    /// </summary>
    public static string? Closest(string typed, IEnumerable<string> known) =>
        known.Select(k => (Key: k, Distance: Distance(typed.ToLowerInvariant(), k.ToLowerInvariant())))
            .Where(c => c.Distance <= Math.Max(1, Math.Min(2, c.Key.Length / 3)))
            .OrderBy(c => c.Distance).Select(c => c.Key).FirstOrDefault();

    private static int Distance(string a, string b)
    {
        var previous = Enumerable.Range(0, b.Length + 1).ToArray();
        for (var i = 1; i <= a.Length; i++)
        {
            var current = new int[b.Length + 1];
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                current[j] = Math.Min(Math.Min(current[j - 1], previous[j]) + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            }

            previous = current;
        }

        return previous[b.Length];
    }
}
