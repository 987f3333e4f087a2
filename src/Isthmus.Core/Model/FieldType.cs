namespace Isthmus.Model;

/// <summary>The type of an entity field; values are coerced to it when a record is mapped in.</summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1720", Justification = "The names are the type names written in configuration.")]
public enum FieldKind
{
    /// <summary>Text.</summary>
    String,
    /// <summary>A floating-point number.</summary>
    Number,
    /// <summary>An exact decimal (money, quantities), compared without trailing zeros.</summary>
    Decimal,
    /// <summary>A calendar date, kept as <c>yyyy-MM-dd</c>.</summary>
    Date,
    /// <summary>An instant, kept as ISO-8601 UTC.</summary>
    DateTime,
    /// <summary>true / false.</summary>
    Bool,
    /// <summary>One of a fixed list of values.</summary>
    Enum,
    /// <summary>The id of another entity (resolved through its links).</summary>
    Ref,
    /// <summary>A list of values of one type.</summary>
    List,
}
