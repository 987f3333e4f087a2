namespace Isthmus.Configuration;

/// <summary>Where a configuration value was written: <c>isthmus.yaml:12:5</c>.</summary>
public sealed record SourceLocation(string File, int Line, int Column)
{
    /// <summary>A location for values that were not read from a file.</summary>
    public static SourceLocation None { get; } = new("<none>", 0, 0);

    /// <inheritdoc/>
    public override string ToString() => $"{File}:{Line}:{Column}";
}

/// <summary>One configuration problem, shown as <c>file:line:col: message</c>.</summary>
public sealed record ConfigError(SourceLocation Location, string Message)
{
    /// <inheritdoc/>
    public override string ToString() => $"{Location}: {Message}";
}
