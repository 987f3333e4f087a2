namespace Isthmus.Configuration;

/// <summary>Reads the main file's <c>server:</c>, <c>store:</c> and <c>deliveries:</c> sections, filling in the defaults.</summary>
internal static class HostSettingsReader
{
    private const string SizeHint = "a size; write e.g. 512KB or 1MB";
    private const string DurationHint = "a duration; write e.g. 500ms, 10s, 5m, 1h or 7d";

    public static ServerSettings Server(SettingsSection root)
    {
        var defaults = ServerSettings.Default;
        var server = root.Section("server", "the 'server' section");
        if (server is null)
        {
            return defaults;
        }

        var listen = server.Text("listen") ?? defaults.Listen;
        foreach (var url in listen.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            {
                server.Error("listen", $"'{url}' is not an http:// or https:// address; write e.g. http://127.0.0.1:8080");
            }
        }

        var maxBodySize = server.Parse<long>("maxBodySize", defaults.MaxBodySize, SettingParsers.TryParseSize, SizeHint);
        server.RejectUnknownKeys();
        return new ServerSettings(listen, maxBodySize ?? defaults.MaxBodySize);
    }

    public static StoreSettings Store(SettingsSection root, string baseDirectory)
    {
        var defaults = StoreSettings.Default;
        var store = root.Section("store", "the 'store' section");
        var kind = store?.Text("kind") ?? defaults.Kind;
        if (kind != "sqlite")
        {
            store!.Error("kind", $"'{kind}' is not a supported store; the only kind for now is sqlite");
        }

        // Relative to the main file, not the working directory, so 'isthmus serve' finds the same database from anywhere.
        var path = Path.GetFullPath(Path.Combine(baseDirectory, store?.Text("path") ?? defaults.Path));
        var synchronous = store?.Text("synchronous")?.ToLowerInvariant() ?? defaults.Synchronous;
        if (synchronous is not ("full" or "normal"))
        {
            store!.Error("synchronous", $"'{synchronous}' must be full (survives power loss) or normal (survives a process crash)");
        }

        var retention = store?.Parse<TimeSpan>("retention", defaults.Retention, SettingParsers.TryParseDuration, DurationHint);
        store?.RejectUnknownKeys();
        return new StoreSettings(kind, path, synchronous, retention ?? defaults.Retention);
    }

    public static DeliverySettings Deliveries(SettingsSection root)
    {
        var defaults = DeliverySettings.Default;
        var deliveries = root.Section("deliveries", "the 'deliveries' section");
        if (deliveries is null)
        {
            return defaults;
        }

        var attempts = deliveries.Parse<int>("maxAttempts", defaults.MaxAttempts,
            (string text, out int value) => int.TryParse(text, out value) && value is >= 1 and <= 1000, "a whole number from 1 to 1000");
        var baseDelay = deliveries.Parse<TimeSpan>("baseDelay", defaults.BaseDelay, SettingParsers.TryParseDuration, DurationHint);
        var maxDelay = deliveries.Parse<TimeSpan>("maxDelay", defaults.MaxDelay, SettingParsers.TryParseDuration, DurationHint);
        deliveries.RejectUnknownKeys();
        if (baseDelay > maxDelay)
        {
            deliveries.Error("maxDelay", $"must be at least baseDelay ({baseDelay})");
        }

        return new DeliverySettings(attempts ?? defaults.MaxAttempts, baseDelay ?? defaults.BaseDelay, maxDelay ?? defaults.MaxDelay);
    }
}
