using Isthmus.Expressions;

namespace Isthmus.Model;

/// <summary>A label or description in several languages (<c>en</c>, <c>zh</c>, ...).</summary>
public sealed record Text(IReadOnlyDictionary<string, string> ByLanguage)
{
    /// <summary>No text.</summary>
    public static Text None { get; } = new(new Dictionary<string, string>());
}

/// <summary>One typed field of an entity.</summary>
/// <param name="Values">The allowed values of an <see cref="FieldKind.Enum"/>.</param>
/// <param name="RefEntity">The entity a <see cref="FieldKind.Ref"/> (or a list of refs) points at.</param>
/// <param name="Item">The type of a <see cref="FieldKind.List"/>'s items.</param>
/// <param name="Normalize">Applied to text values when they are mapped in.</param>
public sealed record FieldDefinition(
    string Name,
    FieldKind Kind,
    bool Required,
    IReadOnlyList<string> Values,
    string? RefEntity,
    FieldKind? Item,
    IReadOnlyList<Normalizer> Normalize,
    Text Label,
    Text Description)
{
    /// <summary>A <c>ref</c>, or a <c>list</c> of refs: its values are ids of <see cref="RefEntity"/>.</summary>
    public bool Refers => Kind == FieldKind.Ref || (Kind == FieldKind.List && Item == FieldKind.Ref);
}

/// <summary>A validation rule: an expression over the entity that must hold, and what to say when it does not.</summary>
/// <param name="Field">The field the rule is about, when it is about one.</param>
public sealed record ValidationRule(string Name, Expression Check, string Message, string? Field);

/// <summary>A business object of the unified model (Customer, Order, Project, ...), with its fields, rules, sync policy and mappings.</summary>
public sealed record EntityDefinition(
    string Name,
    Text Label,
    Text Description,
    IReadOnlyList<FieldDefinition> Fields,
    IReadOnlyList<ValidationRule> Rules,
    IReadOnlyList<IReadOnlyList<string>> Match,
    Sync.SyncPolicy Policy,
    IReadOnlyList<Mappings.Mapping> Mappings)
{
    private readonly Dictionary<string, FieldDefinition> _byName = Fields.ToDictionary(f => f.Name, StringComparer.Ordinal);

    /// <summary>A field by name.</summary>
    public FieldDefinition? Field(string name) => _byName.GetValueOrDefault(name);

    /// <summary>The mapping to one record type of a connection, if the entity has one.</summary>
    public Mappings.Mapping? Mapping(string connection, string recordType) =>
        Mappings.FirstOrDefault(m => m.Connection == connection && m.RecordType == recordType);
}

/// <summary>The unified model: every entity and code table of the configuration.</summary>
public sealed record DataModel(IReadOnlyList<EntityDefinition> Entities, IReadOnlyDictionary<string, CodeTable> CodeTables)
{
    /// <summary>No entities.</summary>
    public static DataModel Empty { get; } = new([], new Dictionary<string, CodeTable>());

    /// <summary>An entity by name.</summary>
    public EntityDefinition? Entity(string name) => Entities.FirstOrDefault(e => e.Name == name);
}
