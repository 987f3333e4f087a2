using System.Globalization;
using Isthmus.Configuration;

namespace Isthmus.Connectors.Http;

/// <summary>Reads the optional <c>circuitBreaker</c> section, within the ranges the breaker accepts.</summary>
internal static class CircuitBreakerSettingsReader
{
    private static readonly TimeSpan Shortest = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan Longest = TimeSpan.FromDays(1);

    public static CircuitBreakerSettings? Read(ConnectionSettings settings)
    {
        var defaults = new CircuitBreakerSettings();
        var section = settings.Section("circuitBreaker");
        if (section is null)
        {
            return defaults;
        }

        var ratioText = section.Text("failureRatio");
        double? ratio = defaults.FailureRatio;
        if (ratioText is not null)
        {
            ratio = double.TryParse(ratioText, NumberStyles.Float, CultureInfo.InvariantCulture, out var r) && r > 0 && r <= 1 ? r : null;
            if (ratio is null)
            {
                section.Error("failureRatio", $"'{ratioText}' must be a number above 0 and at most 1, e.g. 0.5");
            }
        }

        var throughput = section.WholeNumber("minimumThroughput", 2, int.MaxValue, defaults.MinimumThroughput);
        var sampling = Within(section, "samplingDuration", defaults.Sampling);
        var breakDuration = Within(section, "breakDuration", defaults.Break);
        section.RejectUnknownKeys();
        return ratio is null || throughput is null || sampling is null || breakDuration is null
            ? null
            : new CircuitBreakerSettings(ratio.Value, throughput.Value, sampling, breakDuration);
    }

    private static TimeSpan? Within(ConnectionSettings section, string key, TimeSpan defaultValue)
    {
        var value = section.Duration(key, defaultValue);
        if (value is { } v && (v < Shortest || v > Longest))
        {
            section.Error(key, "must be from 500ms to 1d");
            return null;
        }

        return value;
    }
}
