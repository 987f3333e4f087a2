using System.CommandLine;
using Spectre.Console;

namespace Isthmus.Cli;

/// <summary><c>isthmus sink --port 9100</c>: a downstream that accepts every request and prints it, for trying flows out.</summary>
internal static class SinkCommand
{
    public static Command Create()
    {
        var port = new Option<int>("--port") { Description = "Port on 127.0.0.1.", DefaultValueFactory = _ => 9100 };
        var status = new Option<int>("--status") { Description = "HTTP status to answer (e.g. 503 to watch retries).", DefaultValueFactory = _ => 200 };
        var command = new Command("sink", "Run a stand-in downstream system that accepts and prints every request.") { port, status };
        command.SetAction(async (parse, ct) =>
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.UseUrls($"http://127.0.0.1:{parse.GetValue(port)}");
            await using var app = builder.Build();
            var answer = parse.GetValue(status);
            app.Map("/{**path}", async (HttpContext http) =>
            {
                using var reader = new StreamReader(http.Request.Body);
                var body = await reader.ReadToEndAsync();
                AnsiConsole.MarkupLine($"[grey]{DateTimeOffset.Now:HH:mm:ss}[/] {http.Request.Method} [blue]{Markup.Escape(http.Request.Path + http.Request.QueryString)}[/] " +
                    $"key={Markup.Escape(http.Request.Headers["Idempotency-Key"].ToString())} → {answer}");
                AnsiConsole.WriteLine(body);
                return Results.StatusCode(answer);
            });
            await app.StartAsync(ct);
            AnsiConsole.MarkupLine($"Sink listening on http://127.0.0.1:{parse.GetValue(port)}, answering {answer}. Ctrl-C stops.");
            await app.WaitForShutdownAsync(ct);
            return 0;
        });
        return command;
    }
}
