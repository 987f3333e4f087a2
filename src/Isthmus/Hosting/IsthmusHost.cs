using System.Text.Json.Serialization;
using Isthmus.Api;
using Isthmus.Configuration;
using Isthmus.Connections;
using Isthmus.Connectors;
using Isthmus.Connectors.AgoraChat;
using Isthmus.Connectors.Http;
using Isthmus.Connectors.Webhook;
using Isthmus.Runtime;
using Isthmus.Hooks;
using Isthmus.Storage;
using Isthmus.Storage.Sqlite;
using Isthmus.Telemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Isthmus.Hosting;

/// <summary>Builds the Isthmus web host from a configuration file: store, engine, hooks, API, health and metrics.</summary>
public static class IsthmusHost
{
    /// <summary>The connector kinds this build knows.</summary>
    public static IReadOnlyList<IConnectorFactory> Factories { get; } =
    [
        new WebhookConnectorFactory(),
        new HttpConnectorFactory(),
        new Isthmus.Connectors.Sql.SqlConnectorFactory(),
        new AgoraChatConnectorFactory(),
        Isthmus.Connectors.Feishu.FeishuConnectorFactory.Feishu(),
        Isthmus.Connectors.Feishu.FeishuConnectorFactory.Lark(),
        new Isthmus.Connectors.Slack.SlackConnectorFactory(),
        new Isthmus.Connectors.WeCom.WeComConnectorFactory(),
        new Isthmus.Connectors.DingTalk.DingTalkConnectorFactory(),
    ];

    /// <summary>Loads and validates the configuration, connectors included. Errors carry <c>file:line:col</c>.</summary>
    public static (LoadResult Result, ConnectorSet? Connectors, IReadOnlyList<ConfigError> Errors) Load(string path, ConnectorContext context)
    {
        var result = ConfigurationLoader.Load(path);
        var (connectors, errors) = BuildConnectors(result, context);
        return (result, connectors, errors);
    }

    /// <summary>Creates the connectors of a load; <c>null</c> with every error (the load's and the connectors') when any.</summary>
    public static (ConnectorSet? Connectors, IReadOnlyList<ConfigError> Errors) BuildConnectors(LoadResult result, ConnectorContext context)
    {
        if (!result.Succeeded)
        {
            return (null, result.Errors);
        }

        var errors = new List<ConfigError>();
        var connectors = ConnectorSet.Build(result.Config!.Connections, Factories, context with { BaseDirectory = result.BaseDirectory ?? context.BaseDirectory }, errors);
        if (connectors is not null)
        {
            ActionCheck.Check(result.Config.Flows, connectors, errors);
            MappingCheck.Check(result.Config.Model, connectors, errors);
            if (errors.Count > 0)
            {
                connectors.DisposeAsync().AsTask().GetAwaiter().GetResult();
                return (null, errors);
            }
        }

        return (connectors, errors);
    }

    /// <summary>Creates the application for <paramref name="configPath"/>; throws <see cref="ConfigurationException"/> listing every error.</summary>
    public static async Task<WebApplication> BuildAsync(string configPath, string[]? args = null, Action<WebApplicationBuilder>? configure = null)
    {
        // The content root is the program's folder, not the working folder that holds the database, and
        // appsettings reload is off: a file watcher there would wake on every write to the SQLite WAL.
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            Args = [.. args ?? [], "--hostBuilder:reloadConfigOnChange=false"],
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Logging.ClearProviders();
        builder.Logging.AddJsonConsole(o => o.IncludeScopes = false);
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        configure?.Invoke(builder);

        var time = TimeProvider.System;
        var identities = new StoredIdentityDirectory(time);
        var context = new ConnectorContext(time, Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance) { Identities = identities };
        var (loaded, connectors, errors) = Load(configPath, context);
        if (connectors is null)
        {
            throw new ConfigurationException(errors);
        }

        var config = loaded.Config!;

        builder.WebHost.UseUrls(config.Server.Listen);
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = config.Server.MaxBodySize + 1);
        builder.Services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.Converters.Add(new JsonStringEnumConverter(System.Text.Json.JsonNamingPolicy.CamelCase));
            o.SerializerOptions.DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull;
        });
        builder.Services.AddSingleton(time);
        builder.Services.AddSingleton<IsthmusMetrics>();
        builder.Services.AddSingleton<IStore>(_ => new SqliteStore(config.Store.Path, config.Store.Synchronous));
        builder.Services.AddSingleton(identities);
        builder.Services.AddSingleton(sp => new HostState(configPath, loaded, connectors, sp) { ConnectorContext = context });
        builder.Services.AddSingleton<ApiKeys>();
        builder.Services.AddHostedService<HostLifecycle>();
        builder.Services.AddOpenApi();
        var telemetry = builder.Services.AddOpenTelemetry()
            // The runtime's own meter (GC, memory, thread pool, JIT): read only when /metrics is scraped.
            .WithMetrics(m => m.AddMeter(IsthmusMetrics.Name, "System.Runtime").AddPrometheusExporter());
        if (!string.IsNullOrEmpty(Environment.GetEnvironmentVariable("OTEL_EXPORTER_OTLP_ENDPOINT")))
        {
            // Spans cost CPU on every request, so they are recorded only when something will receive them.
            telemetry.WithTracing(t => t.AddSource(IsthmusMetrics.Name).AddAspNetCoreInstrumentation().AddOtlpExporter());
        }

        var app = builder.Build();
        app.MapHooks();
        app.MapIsthmusApi();
        app.MapHealth();
        app.MapOpenApi("/openapi/{documentName}.json");
        app.MapPrometheusScrapingEndpoint("/metrics");
        return app;
    }
}

/// <summary>The configuration could not be loaded; <see cref="Errors"/> lists every problem.</summary>
public sealed class ConfigurationException(IReadOnlyList<ConfigError> errors)
    : Exception("The configuration has errors:" + Environment.NewLine + string.Join(Environment.NewLine, errors))
{
    /// <summary>Every problem, with its location.</summary>
    public IReadOnlyList<ConfigError> Errors { get; } = errors;
}
