using Isthmus.Configuration;
using Isthmus.Expressions;

namespace Isthmus.Flows;

/// <summary>One step of a flow. Its output is available to later steps as <c>steps.&lt;name&gt;</c>.</summary>
public abstract record Step(string Name, SourceLocation Location);

/// <summary>Builds a new JSON value from expressions and templates.</summary>
public sealed record TransformStep(string Name, ValueTemplate Value, SourceLocation Location) : Step(Name, Location);

/// <summary>
/// A side effect on a connection, written to the outbox. <see cref="Payload"/> renders to the action's
/// arguments (for <c>http</c>: <c>{method, path, headers, body}</c>).
/// </summary>
public sealed record ActionStep(string Name, string Connection, string Action, ValueTemplate Payload, SourceLocation Location)
    : Step(Name, Location);

/// <summary>Runs <see cref="Then"/> when the condition holds, else <see cref="Else"/>.</summary>
public sealed record BranchStep(string Name, Expression Condition, IReadOnlyList<Step> Then, IReadOnlyList<Step> Else, SourceLocation Location)
    : Step(Name, Location);
