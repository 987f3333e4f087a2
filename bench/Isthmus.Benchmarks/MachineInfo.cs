using System.Runtime.InteropServices;

namespace Isthmus.Benchmarks;

/// <summary>What the numbers were measured on.</summary>
public sealed record MachineInfo(string Cpu, int Cores, double RamGb, string Runtime, string Os, string LoadAverage)
{
    public static MachineInfo Read()
    {
        string cpu = FirstValue("/proc/cpuinfo", "model name") ?? RuntimeInformation.ProcessArchitecture.ToString();
        string? memTotal = FirstValue("/proc/meminfo", "MemTotal");
        double ramGb = memTotal is not null && long.TryParse(memTotal.Split(' ')[0], out long kb) ? kb / 1024.0 / 1024.0 : double.NaN;
        string load = TryRead("/proc/loadavg") is { } l ? string.Join(' ', l.Split(' ').Take(3)) : "n/a";
        return new MachineInfo(
            cpu, Environment.ProcessorCount, ramGb,
            RuntimeInformation.FrameworkDescription, RuntimeInformation.OSDescription, load);
    }

    static string? FirstValue(string path, string key)
    {
        var text = TryRead(path);
        if (text is null)
        {
            return null;
        }

        foreach (var line in text.Split('\n'))
        {
            int colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0 && line[..colon].Trim() == key)
            {
                return line[(colon + 1)..].Trim();
            }
        }

        return null;
    }

    static string? TryRead(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }
}
