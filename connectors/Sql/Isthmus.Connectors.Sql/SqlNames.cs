namespace Isthmus.Connectors.Sql;

/// <summary>
/// Which names the configuration may use. Names end up in SQL text (quoted), so only plain identifiers are
/// accepted: letters (any script), digits, <c>_</c> and <c>$</c>; a table may carry one schema prefix.
/// </summary>
internal static class SqlNames
{
    public static bool IsColumnName(string name) =>
        name.Length is > 0 and <= 63 && !char.IsDigit(name[0]) && name.All(c => char.IsLetterOrDigit(c) || c is '_' or '$');

    public static bool IsPlainName(string name)
    {
        var dot = name.IndexOf('.', StringComparison.Ordinal);
        return dot < 0 ? IsColumnName(name) : IsColumnName(name[..dot]) && IsColumnName(name[(dot + 1)..]);
    }

    /// <summary>(schema, table) of <c>schema.table</c> or <c>table</c>.</summary>
    public static (string? Schema, string Table) Split(string name)
    {
        var dot = name.IndexOf('.', StringComparison.Ordinal);
        return dot < 0 ? (null, name) : (name[..dot], name[(dot + 1)..]);
    }

    /// <summary>A double-quoted identifier, as both engines read it (the names were checked, the doubling is belt and braces).</summary>
    public static string Quote(string name) => "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}
