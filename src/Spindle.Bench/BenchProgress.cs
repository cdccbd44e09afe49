namespace Spindle.Bench;

/// <summary>Where a bench run is: reported before each run of each technique, and once at the end.</summary>
/// <param name="Workload">The workload's title.</param>
/// <param name="Technique">The technique running.</param>
/// <param name="Done">Runs finished, warm-ups included.</param>
/// <param name="Total">Runs in all.</param>
public sealed record BenchProgress(string Workload, string Technique, int Done, int Total);
