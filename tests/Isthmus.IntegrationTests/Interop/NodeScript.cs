using System.Diagnostics;
using System.Text;
using System.Text.Json;

namespace Isthmus.IntegrationTests.Interop;

/// <summary>
/// Runs a script of <c>tests/interop</c> with Node.js and the pinned npm packages, as a real client of our code. When
/// node or the packages are missing (run <c>tests/interop/setup.sh</c>), the calling test is skipped and says why.
/// </summary>
internal static class NodeScript
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);

    /// <summary>The <c>tests/interop</c> folder of this checkout.</summary>
    public static string Folder { get; } = FindFolder();

    /// <summary>Why the interop tests with <paramref name="package"/> cannot run here, or <c>null</c> when they can.</summary>
    public static string? Missing(string package) =>
        FindNode() is null ? "node is not on PATH; install Node.js and npm (tests/interop/setup.sh does, as root) to run the interop tests"
        : !File.Exists(Path.Combine(Folder, "node_modules", package, "package.json"))
            ? $"the npm package {package} is not installed in {Folder}; run tests/interop/setup.sh (npm ci) to run the interop tests"
        : TooOld(package);

    // A package that declares a newer Node.js than this machine's (Debian 12 ships 18) is not run on it.
    private static string? TooOld(string package)
    {
        using var manifest = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(Folder, "node_modules", package, "package.json")));
        var wanted = manifest.RootElement.TryGetProperty("engines", out var engines) && engines.TryGetProperty("node", out var range)
            ? System.Text.RegularExpressions.Regex.Match(range.GetString() ?? "", @"\d+") : null;
        if (wanted is not { Success: true } || NodeMajor.Value is not { } have)
        {
            return null;
        }

        var need = int.Parse(wanted.Value, System.Globalization.CultureInfo.InvariantCulture);
        return have >= need ? null : $"{package} needs Node.js {need} or later; this machine has {have}";
    }

    private static readonly Lazy<int?> NodeMajor = new(() =>
    {
        using var process = Process.Start(new ProcessStartInfo(FindNode()!, "--version") { RedirectStandardOutput = true, UseShellExecute = false });
        var version = process?.StandardOutput.ReadToEnd().Trim().TrimStart('v') ?? "";
        process?.WaitForExit();
        return int.TryParse(version.Split('.')[0], System.Globalization.CultureInfo.InvariantCulture, out var major) ? major : null;
    });

    /// <summary>Skips the test unless node and <paramref name="package"/> (in tests/interop/node_modules) are there.</summary>
    public static string Require(string package)
    {
        if (Missing(package) is { } reason)
        {
            Assert.Skip(reason);
        }

        return FindNode()!;
    }

    /// <summary>
    /// Runs <c>node script args…</c> in tests/interop with <paramref name="stdin"/> and returns the JSON it prints. A
    /// non-zero exit or no JSON fails the test with the script's stderr.
    /// </summary>
    public static async Task<JsonElement> RunAsync(string package, string script, IEnumerable<string> args, string stdin = "")
    {
        var node = Require(package);
        var start = new ProcessStartInfo(node)
        {
            WorkingDirectory = Folder,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardInputEncoding = new UTF8Encoding(false),
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        start.ArgumentList.Add(script);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        // Every address the scripts use is on 127.0.0.1: never through a proxy.
        start.Environment["NO_PROXY"] = start.Environment["no_proxy"] = "127.0.0.1,localhost";
        start.Environment.Remove("NODE_OPTIONS");

        using var process = Process.Start(start) ?? throw new InvalidOperationException("node did not start");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.StandardInput.WriteAsync(stdin);
        process.StandardInput.Close();

        using var timeout = new CancellationTokenSource(Timeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"node {script} did not finish within {Timeout.TotalMinutes} minutes.\nstderr:\n{await stderr}\nstdout:\n{await stdout}");
        }

        var (output, errors) = (await stdout, await stderr);
        if (process.ExitCode != 0)
        {
            Assert.Fail($"node {script} {string.Join(' ', start.ArgumentList.Skip(1))} exited with {process.ExitCode}.\nstderr:\n{errors}\nstdout:\n{output}");
        }

        try
        {
            return JsonDocument.Parse(output).RootElement.Clone();
        }
        catch (JsonException ex)
        {
            Assert.Fail($"node {script} printed no JSON ({ex.Message}).\nstdout:\n{output}\nstderr:\n{errors}");
            throw;
        }
    }

    private static string? FindNode()
    {
        var names = OperatingSystem.IsWindows() ? new[] { "node.exe" } : ["node", "nodejs"];
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            foreach (var name in names)
            {
                var path = Path.Combine(dir, name);
                if (File.Exists(path))
                {
                    return path;
                }
            }
        }

        return null;
    }

    private static string FindFolder()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Isthmus.slnx")))
            {
                return Path.Combine(dir.FullName, "tests", "interop");
            }
        }

        return Path.Combine(AppContext.BaseDirectory, "interop-not-found");
    }
}
