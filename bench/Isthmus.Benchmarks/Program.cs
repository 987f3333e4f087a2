using System.Runtime.InteropServices;
using Isthmus.Benchmarks;
using Isthmus.Benchmarks.Sync;

// Modes: the benchmark itself (default), the sync benchmark, the raw Kestrel ceiling server, the record-system emulator
// for the sync benchmark, and the harness stand-in server.
try
{
    if (args.Length > 0 && args[0] == "self-check")
    {
        return SelfCheck.Run();
    }

    if (args.Length > 0 && args[0] == "sync")
    {
        return await SyncMain.RunAsync(args[1..]);
    }

    if (args.Length > 0 && args[0] == "records-emulator")
    {
        return await EmulatorServer.RunAsync(ParentPid(args));
    }

    if (args.Length > 0 && args[0] == "ceiling")
    {
        return await ReferenceServers.RunCeilingAsync(ParentPid(args));
    }

    if (args.Length > 1 && args[0] == "stand-in" && args[1] == "serve")
    {
        int i = Array.IndexOf(args, "--config");
        return i > 0 && i + 1 < args.Length
            ? await ReferenceServers.RunStandInAsync(args[i + 1], ParentPid(args))
            : Fail("stand-in serve needs --config <isthmus.yaml>");
    }

    BenchmarkOptions options;
    try
    {
        options = BenchmarkOptions.Parse(args);
    }
    catch (ArgumentException e)
    {
        return Fail(e.Message + Environment.NewLine + BenchmarkOptions.Usage, 1);
    }

    string target;
    try
    {
        target = BenchmarkRunner.ResolveTarget(options);
    }
    catch (BenchmarkException e)
    {
        return Fail(e.Message);
    }

    var results = new BenchmarkResults
    {
        Machine = MachineInfo.Read(),
        StartedAt = DateTimeOffset.UtcNow,
        Quick = options.Quick,
        StandIn = options.StandIn,
        Synchronous = options.Synchronous,
        Target = target,
        Label = options.Label,
        PhaseDuration = options.PhaseDuration,
    };

    // Ctrl-C and SIGTERM end the run in an orderly way, so the servers it started are stopped too.
    using var cancel = new CancellationTokenSource(TimeSpan.FromMinutes(30));
    void OnSignal(PosixSignalContext context)
    {
        context.Cancel = true;
        cancel.Cancel();
    }

    using var onInt = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
    using var onTerm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);

    var runner = new BenchmarkRunner(options, results, line => Console.Error.WriteLine($"[{DateTime.UtcNow:HH:mm:ss}] {line}"));
    try
    {
        await runner.RunAsync(cancel.Token);
    }
    catch (OperationCanceledException)
    {
        results.Errors.Add("run cancelled");
    }

    Console.WriteLine();
    Console.Write(Report.Summary(results));
    if (options.OutputPath is { } output)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(output)!);
        await File.WriteAllTextAsync(output, Report.Markdown(results));
        Console.WriteLine($"report written to {output}");
    }

    if (results.Errors.Count > 0)
    {
        Console.Error.WriteLine($"run failed; server logs kept under {runner.WorkDirectory}");
        return 2;
    }

    return 0;
}
catch (BenchmarkException e)
{
    return Fail(e.Message);
}

static int Fail(string message, int code = 2)
{
    Console.Error.WriteLine("error: " + message);
    return code;
}

static int ParentPid(string[] args)
{
    int i = Array.IndexOf(args, "--parent");
    return i >= 0 && i + 1 < args.Length && int.TryParse(args[i + 1], out int pid) ? pid : 0;
}
