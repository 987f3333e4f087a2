using System.Runtime.InteropServices;
using Isthmus.Emulators.Records;

namespace Isthmus.Benchmarks.Sync;

/// <summary>
/// The record-system emulator as its own process (<c>Isthmus.Benchmarks records-emulator</c>), so the sync engine and the
/// system it writes to do not share a process: every record crosses HTTP on loopback as it would to a real CRM.
/// </summary>
public static class EmulatorServer
{
    /// <summary>Longest the emulator lives, should its parent never stop it.</summary>
    static readonly TimeSpan MaxLifetime = TimeSpan.FromHours(2);

    public static async Task<int> RunAsync(int parentPid)
    {
        await using var emulator = new RecordsEmulator(new RecordsEmulatorOptions { Types = [SyncScenario.RecordType] });
        await emulator.StartAsync();
        Console.WriteLine(ReferenceServers.ListeningPrefix + emulator.Url);

        using var stop = new CancellationTokenSource();
        using var onTerm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c =>
        {
            c.Cancel = true;
            stop.Cancel();
        });
        using var onInt = PosixSignalRegistration.Create(PosixSignal.SIGINT, c =>
        {
            c.Cancel = true;
            stop.Cancel();
        });

        // Stop on SIGTERM, when the parent is gone, or at the lifetime cap.
        for (int i = 0; i < (int)MaxLifetime.TotalSeconds && !stop.IsCancellationRequested; i++)
        {
            if (parentPid > 0 && !Directory.Exists($"/proc/{parentPid}"))
            {
                break;
            }

            try
            {
                await Task.Delay(1000, stop.Token);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        return 0;
    }
}
