namespace Isthmus.Configuration;

/// <summary>The outcome of a load: a configuration, or every error found (never both).</summary>
public sealed record LoadResult(IsthmusConfig? Config, IReadOnlyList<ConfigError> Errors)
{
    /// <summary>Whether the load succeeded.</summary>
    public bool Succeeded => Config is not null && Errors.Count == 0;
}

/// <summary>
/// Reads <c>isthmus.yaml</c> and its includes, substitutes <c>${ENV}</c> references, validates and compiles
/// every flow, and reports every problem with <c>file:line:col</c>.
/// </summary>
public static class ConfigurationLoader
{
    /// <summary>Loads from a file.</summary>
    /// <param name="environment">Variable lookup for <c>${NAME}</c>; defaults to the process environment.</param>
    public static LoadResult Load(string path, Func<string, string?>? environment = null) =>
        throw new NotImplementedException();

    /// <summary>Loads from text (for tests and the API's validate endpoint); includes resolve relative to <paramref name="baseDirectory"/>.</summary>
    public static LoadResult LoadText(string yaml, string fileName, string baseDirectory, Func<string, string?>? environment = null) =>
        throw new NotImplementedException();
}
