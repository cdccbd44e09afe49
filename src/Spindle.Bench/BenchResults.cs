using System.Text.Json.Serialization;
using Spindle.Bench.Measuring;

namespace Spindle.Bench;

/// <summary>Everything one bench run measured, with the verdicts derived from it; what the JSON file holds.</summary>
/// <param name="Machine">What it ran on.</param>
/// <param name="Settings">How it ran.</param>
/// <param name="Workloads">One entry per workload, in run order.</param>
/// <param name="PythonSkipped">Why the Python side did not run, or null when it did.</param>
/// <param name="Findings">Plain statements of where the claim holds in .NET and where not, each derived from the figures.</param>
/// <param name="StartedAt">When the run started.</param>
/// <param name="TookSeconds">How long the whole run took.</param>
public sealed record BenchReport(
    MachineInfo Machine,
    BenchSettings Settings,
    IReadOnlyList<WorkloadResult> Workloads,
    string? PythonSkipped,
    IReadOnlyList<string> Findings,
    DateTimeOffset StartedAt,
    double TookSeconds);

/// <summary>The sizes and repeats a run used.</summary>
/// <param name="Size">The scale of every workload (1 is the default).</param>
/// <param name="Repeats">Timed runs per workload and technique.</param>
/// <param name="Warmups">Untimed runs before them.</param>
/// <param name="IoConcurrency">Tasks in flight for waiting work.</param>
/// <param name="Command">The command line that reproduces the run.</param>
public sealed record BenchSettings(double Size, int Repeats, int Warmups, int IoConcurrency, string Command);

/// <summary>One workload's figures for every technique.</summary>
/// <param name="Name">The short name (cpu, alloc, files, http, waits, mix).</param>
/// <param name="Title">What it does, with its size.</param>
/// <param name="Kind">Cpu, Io or Mixed.</param>
/// <param name="Items">Items per run.</param>
/// <param name="Concurrency">Tasks in flight for concurrent techniques (processes and the CPU lane use one per core).</param>
/// <param name="Techniques">One entry per technique, in table order.</param>
/// <param name="Winner">The technique with the lowest median wall time, or null if none ran.</param>
/// <param name="Verdict">One sentence derived from the figures.</param>
public sealed record WorkloadResult(
    string Name,
    string Title,
    string Kind,
    int Items,
    int Concurrency,
    IReadOnlyList<TechniqueResult> Techniques,
    string? Winner,
    string Verdict);

/// <summary>One technique's timed runs on one workload.</summary>
/// <param name="Name">As the table shows it.</param>
/// <param name="Family">serial, threads, processes, auto, tpl, or python-serial, python-threads, python-processes, python-asyncio.</param>
/// <param name="Runtime">.NET or Python.</param>
/// <param name="Runs">Every timed run.</param>
/// <param name="ResultsMatch">Whether its results equal the .NET serial results, item by item.</param>
/// <param name="Error">Why it failed or was skipped, or null.</param>
/// <param name="SerialMedianSeconds">The median of the same runtime's serial technique, the speedup's baseline.</param>
public sealed record TechniqueResult(
    string Name,
    string Family,
    string Runtime,
    IReadOnlyList<RunSample> Runs,
    bool ResultsMatch,
    string? Error,
    double? SerialMedianSeconds)
{
    /// <summary>Whether it ran and its results were right.</summary>
    public bool Ok => Error is null && ResultsMatch && Runs.Count > 0;

    /// <summary>The median wall time in seconds.</summary>
    public double MedianSeconds => Median(Runs.Select(r => r.WallSeconds));

    /// <summary>The fastest run in seconds.</summary>
    public double MinSeconds => Runs.Count == 0 ? 0 : Runs.Min(r => r.WallSeconds);

    /// <summary>The slowest run in seconds.</summary>
    public double MaxSeconds => Runs.Count == 0 ? 0 : Runs.Max(r => r.WallSeconds);

    /// <summary>The same runtime's serial median over this median; null when either is missing.</summary>
    public double? Speedup => Ok && SerialMedianSeconds is > 0 && MedianSeconds > 0 ? SerialMedianSeconds / MedianSeconds : null;

    /// <summary>The median of CPU time over (wall time × cores): 1 means every core busy for the whole run.</summary>
    public double CpuUtilisation => Median(Runs.Select(r => r.WallSeconds > 0 ? r.CpuSeconds / (r.WallSeconds * Environment.ProcessorCount) : 0));

    /// <summary>The highest peak resident memory of any run, children included.</summary>
    public long PeakBytes => Runs.Count == 0 ? 0 : Runs.Max(r => r.PeakBytes);

    [JsonIgnore]
    internal bool IsPython => Runtime == "Python";

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        if (sorted.Length == 0)
        {
            return 0;
        }

        var mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }
}

/// <summary>One timed run.</summary>
/// <param name="WallSeconds">Elapsed time.</param>
/// <param name="CpuSeconds">CPU time of the process and its worker processes, plus the bench's local HTTP server on both sides.</param>
/// <param name="PeakBytes">Peak resident memory of the process and its worker processes during the run.</param>
public sealed record RunSample(double WallSeconds, double CpuSeconds, long PeakBytes);
