namespace Isthmus.Model;

/// <summary>
/// A two-way table between one system's codes and the model's values (<c>已批准</c> ↔ <c>approved</c>,
/// material number ↔ product code). Codes are normalized before lookup, so <c>" a01 "</c> finds <c>A01</c>
/// when the table normalizes with trim and upper.
/// </summary>
public sealed class CodeTable
{
    private readonly Dictionary<string, string> _forward = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _reverse = new(StringComparer.Ordinal);

    /// <summary>Builds a table; the first code listed for a value is the one written back to systems.</summary>
    public CodeTable(string name, IReadOnlyList<KeyValuePair<string, string>> codes, IReadOnlyList<Normalizer> normalize)
    {
        Name = name;
        Normalize = normalize;
        foreach (var (code, value) in codes)
        {
            _forward[Normalizers.Apply(normalize, code)] = value;
            _reverse.TryAdd(value, code);
        }
    }

    /// <summary>The table's name under <c>codeTables:</c>.</summary>
    public string Name { get; }

    /// <summary>Applied to a code before it is looked up.</summary>
    public IReadOnlyList<Normalizer> Normalize { get; }

    /// <summary>Code → value, codes as written (for <c>lookup()</c>).</summary>
    public IReadOnlyDictionary<string, string> Entries => _forward;

    /// <summary>The model value of a system's code.</summary>
    public bool TryValue(string code, out string value) => _forward.TryGetValue(Normalizers.Apply(Normalize, code), out value!);

    /// <summary>The code a system is given for a model value.</summary>
    public bool TryCode(string value, out string code) => _reverse.TryGetValue(value, out code!);
}
