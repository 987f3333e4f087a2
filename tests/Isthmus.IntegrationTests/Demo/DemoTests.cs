using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;

namespace Isthmus.IntegrationTests.Demo;

/// <summary>The README's first command: <c>isthmus demo</c> runs, shows the whole story, and stops cleanly.</summary>
public sealed partial class DemoTests
{
    [Fact]
    public async Task The_demo_approves_on_chat_cards_forwards_to_the_erp_and_stops_cleanly()
    {
        var folder = Directory.CreateTempSubdirectory("isthmus-demo-test-").FullName;
        try
        {
            var output = await RunDemoAsync(folder, seconds: 25);
            var text = Regex.Replace(output, @"\s+", " ");

            Assert.Contains("Admin API key (shown once)", text, StringComparison.Ordinal);
            Assert.Matches(@"run #\d+ completed approval-decided", text);
            Assert.Matches(@"run #\d+ completed card-decision", text);
            Assert.Matches(@"card to (Li Wei|Zhang Min|Wang Fang|Chen Jie)", text);
            Assert.Matches(@"card updated: .*(Approved|Rejected) by", text);
            Assert.Matches(@"text to .*Your request PR-\d+ was (Approved|Rejected)", text);
            Assert.Contains("Stopped cleanly.", text, StringComparison.Ordinal);
            Assert.True(File.Exists(Path.Combine(folder, "flows", "chat.yaml")));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static async Task<string> RunDemoAsync(string folder, int seconds)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "isthmus.dll");
        var start = new ProcessStartInfo("dotnet", ["exec", dll, "demo", "--port", FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--dir", folder, "--seconds", seconds.ToString(System.Globalization.CultureInfo.InvariantCulture)])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["ISTHMUS_ADMIN_KEY"] = "";
        using var process = Process.Start(start)!;
        var output = new StringBuilder();
        process.OutputDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(seconds + 60));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("the demo did not stop by itself. Output:\n" + output);
        }

        lock (output)
        {
            Assert.True(process.ExitCode == 0, $"the demo exited with {process.ExitCode}. Output:\n{output}");
            return output.ToString();
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
