using System.Globalization;

namespace Spindle.Bench.Reporting;

/// <summary>How figures read in the table, the Markdown report and the chart, so that all three agree.</summary>
public static class Format
{
    /// <summary>Seconds as "12 ms" or "1.23 s".</summary>
    public static string Seconds(double seconds) => Verdicts.Seconds(seconds);

    /// <summary>A median with its range: "12 ms (11–14 ms)".</summary>
    public static string Timing(TechniqueResult row)
    {
        ArgumentNullException.ThrowIfNull(row);
        return row.Runs.Count == 0 ? "–" : $"{Seconds(row.MedianSeconds)} ({Seconds(row.MinSeconds)}–{Seconds(row.MaxSeconds)})";
    }

    /// <summary>The speedup over the same runtime's serial run, "1.93x", or "–".</summary>
    public static string Speedup(TechniqueResult row)
    {
        ArgumentNullException.ThrowIfNull(row);
        return row.Speedup is { } s ? s.ToString("0.00", CultureInfo.InvariantCulture) + "x" : "–";
    }

    /// <summary>CPU utilisation as a percentage of all cores.</summary>
    public static string Cpu(TechniqueResult row)
    {
        ArgumentNullException.ThrowIfNull(row);
        return row.Runs.Count == 0 ? "–" : (row.CpuUtilisation * 100).ToString("0", CultureInfo.InvariantCulture) + "%";
    }

    /// <summary>Bytes as MiB.</summary>
    public static string Memory(long bytes) => bytes <= 0 ? "–" : (bytes / (1024.0 * 1024)).ToString("0", CultureInfo.InvariantCulture) + " MiB";

    /// <summary>What the results column says: ok, the error, or skipped.</summary>
    public static string Status(TechniqueResult row)
    {
        ArgumentNullException.ThrowIfNull(row);
        return row.Ok ? "equal" : row.Error ?? "differ";
    }
}
