using Isthmus.Configuration;

namespace Isthmus.Connectors.Http.Records;

/// <summary>How one record type maps onto a REST collection. Defaults fit the record-system emulator.</summary>
internal sealed record RecordTypeSettings(
    string Name,
    string Path,
    string Items,
    string Id,
    string Version,
    string UpdatedAt,
    string Deleted,
    string Paging,
    string CursorParam,
    string NextCursor,
    string LimitParam,
    string PageParam,
    string PageSizeParam,
    string OffsetParam,
    int PageSize,
    string Since,
    IReadOnlyList<KeyValuePair<string, string>> Query,
    string Update,
    string? Batch,
    int BatchSize);

/// <summary>Reads the <c>records</c> section: one mapping per record type, every key checked.</summary>
internal static class RecordSettingsReader
{
    private static readonly string[] PagingStyles = ["cursor", "page", "offset", "none"];

    /// <summary>Paging keys, and the styles each applies to.</summary>
    private static readonly Dictionary<string, string[]> PagingKeys = new(StringComparer.Ordinal)
    {
        ["cursorParam"] = ["cursor"],
        ["nextCursor"] = ["cursor"],
        ["limitParam"] = ["cursor", "offset"],
        ["pageParam"] = ["page"],
        ["pageSizeParam"] = ["page"],
        ["offsetParam"] = ["offset"],
        ["pageSize"] = ["cursor", "page", "offset"],
    };

    public static IReadOnlyDictionary<string, RecordTypeSettings>? Read(ConnectionSettings settings)
    {
        if (!settings.Has("records"))
        {
            return null;
        }

        var section = settings.Section("records");
        if (section is null)
        {
            return null;
        }

        if (section.Map.Entries.Count == 0)
        {
            section.Error(null, "must name at least one record type, e.g. customers: { path: /api/customers }");
            return null;
        }

        var types = new Dictionary<string, RecordTypeSettings>(StringComparer.Ordinal);
        foreach (var (name, _) in section.Map.Entries)
        {
            if (section.Section(name) is { } type && ReadType(name, type) is { } read)
            {
                types[name] = read;
            }
        }

        return types;
    }

    private static RecordTypeSettings? ReadType(string name, ConnectionSettings type)
    {
        var path = Field(type, "path", null, required: true);
        if (path is not null && (path.Contains('?', StringComparison.Ordinal) || path.Contains("://", StringComparison.Ordinal)))
        {
            type.Error("path", $"'{path}' must be a path under baseUrl, without a query (list parameters go in query)");
            path = null;
        }

        var items = type.Text("items", defaultValue: "items") ?? "";
        var id = Field(type, "id", "id");
        var version = Field(type, "version", "version");
        var updatedAt = Field(type, "updatedAt", "updatedAt");
        var deleted = Field(type, "deleted", "deleted");
        var paging = type.OneOf("paging", PagingStyles, defaultValue: "cursor");
        var cursorParam = Field(type, "cursorParam", "cursor");
        var nextCursor = Field(type, "nextCursor", "nextCursor");
        var limitParam = Field(type, "limitParam", "limit");
        var pageParam = Field(type, "pageParam", "page");
        var pageSizeParam = Field(type, "pageSizeParam", "pageSize");
        var offsetParam = Field(type, "offsetParam", "offset");
        var pageSize = type.WholeNumber("pageSize", 1, 10_000, 100);
        var since = Field(type, "since", "updatedSince");
        var query = type.Has("query")
            ? type.StringMap("query")?.ToList() ?? []
            : [KeyValuePair.Create("includeDeleted", "true")];
        var update = type.OneOf("update", ["patch", "put"], defaultValue: "patch");
        var batch = type.Has("batch") ? Field(type, "batch", null) : null;
        var batchSize = type.WholeNumber("batchSize", 1, 10_000, 100);
        if (batchSize is not null && type.Has("batchSize") && batch is null)
        {
            type.Error("batchSize", "applies only with batch: <endpoint under path>");
        }

        if (paging is not null)
        {
            foreach (var (key, styles) in PagingKeys)
            {
                if (type.Has(key) && !styles.Contains(paging))
                {
                    type.Error(key, $"does not apply to paging '{paging}'");
                }
            }
        }

        type.RejectUnknownKeys();
        return path is null || id is null || version is null || updatedAt is null || deleted is null || paging is null || cursorParam is null
            || nextCursor is null || limitParam is null || pageParam is null || pageSizeParam is null || offsetParam is null || pageSize is null
            || since is null || update is null || batchSize is null
            ? null
            : new RecordTypeSettings(name, path, items, id, version, updatedAt, deleted, paging, cursorParam, nextCursor, limitParam, pageParam,
                pageSizeParam, offsetParam, pageSize.Value, since, query, update, batch, batchSize.Value);
    }

    private static string? Field(ConnectionSettings type, string key, string? defaultValue, bool required = false)
    {
        var value = type.Text(key, required, defaultValue);
        if (value is not null && string.IsNullOrWhiteSpace(value))
        {
            type.Error(key, "must not be empty");
            return null;
        }

        return value?.Trim();
    }
}
