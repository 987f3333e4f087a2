using System.CommandLine;
using Isthmus.Cli;

// `isthmus` — the table of contents: each command lives in Cli/.
var root = new RootCommand("Isthmus: a self-hosted real-time sync hub between chat platforms and business systems.")
{
    ServeCommand.Create(),
    DemoCommand.Create(),
    ValidateCommand.Create(),
    EventsCommand.Create(),
    RunsCommand.Create(),
    DeadLetterCommand.Create(),
    ReplayCommand.Create(),
    LinksCommand.Create(),
    ConflictsCommand.Create(),
    SyncCommand.Create(),
    ReconcileCommand.Create(),
    SinkCommand.Create(),
    EmulateCommand.Create(),
};
return await root.Parse(args).InvokeAsync();

/// <summary>The entry point, visible to tests.</summary>
public partial class Program;
