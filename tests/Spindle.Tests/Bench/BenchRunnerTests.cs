using Spindle.Bench;

namespace Spindle.Tests.Bench;

/// <summary>The bench end to end at a tiny size: every technique runs and agrees; figures are never asserted.</summary>
public sealed class BenchRunnerTests
{
    private static readonly string[] s_dotNetTechniques =
    [
        "serial", "Spindle threads, I/O lane", "Spindle threads, CPU lane", "Spindle processes", "Spindle Auto", "Parallel.ForEach", "Parallel.ForEachAsync",
    ];

    private static readonly string[] s_pythonTechniques =
    [
        "Python serial", "Python ThreadPoolExecutor", "Python ProcessPoolExecutor", "Python asyncio",
    ];

    [Fact(Timeout = TestWait.Hard)]
    public async Task RunAsync_TinySize_EveryTechniqueRunsEveryWorkloadWithEqualResults()
    {
        var progress = new List<BenchProgress>();
        var report = await BenchRunner.RunAsync(
            new BenchOptions { Size = 0.02, Repeats = 1, Warmups = 0, IoConcurrency = 8 },
            new SyncProgress(p => { lock (progress) { progress.Add(p); } }));

        Assert.Null(report.PythonSkipped);
        Assert.Equal(["cpu", "alloc", "files", "http", "waits", "mix"], report.Workloads.Select(w => w.Name));
        foreach (var workload in report.Workloads)
        {
            Assert.Equal([.. s_dotNetTechniques, .. s_pythonTechniques], workload.Techniques.Select(t => t.Name));
            Assert.All(workload.Techniques, t =>
            {
                Assert.True(t.Ok, $"{workload.Name} on {t.Name}: {t.Error}");
                Assert.Single(t.Runs);
                Assert.True(t.Speedup > 0, $"{workload.Name} on {t.Name} has no speedup");
                Assert.True(t.PeakBytes > 0, $"{workload.Name} on {t.Name} has no peak memory");
            });
            Assert.NotNull(workload.Winner);
            Assert.StartsWith(workload.Kind switch { "Cpu" => "CPU-bound", "Io" => "I/O-bound", _ => "Mixed" }, workload.Verdict, StringComparison.Ordinal);
        }

        Assert.NotEmpty(report.Findings);
        Assert.NotNull(report.Machine.Python);
        var last = progress[^1];
        Assert.Equal(last.Total, last.Done);
        Assert.Equal(6 * 11, last.Total);
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task RunAsync_PythonMissing_IsReportedAsSkippedNotAsAFailure()
    {
        var missing = Path.Combine(Path.GetTempPath(), "no-such-dir", "python3");
        var report = await BenchRunner.RunAsync(new BenchOptions { Size = 0.02, Repeats = 1, Warmups = 0, Workloads = ["waits"], PythonPath = missing });

        Assert.Contains("not found", report.PythonSkipped, StringComparison.Ordinal);
        Assert.Contains(missing, report.PythonSkipped, StringComparison.Ordinal);
        Assert.Null(report.Machine.Python);
        var waits = Assert.Single(report.Workloads);
        Assert.Equal(s_dotNetTechniques, waits.Techniques.Select(t => t.Name));
        Assert.All(waits.Techniques, t => Assert.True(t.Ok, t.Error));
    }

    [Fact]
    public async Task RunAsync_InvalidOptions_ReportsEveryProblemAtOnce()
    {
        var e = await Assert.ThrowsAsync<SpindleOptionsException>(() =>
            BenchRunner.RunAsync(new BenchOptions { Size = 0, Repeats = 0, Workloads = ["gpu"] }));

        Assert.Equal(3, e.Problems.Count);
        Assert.Contains("Size must be greater than 0", e.Message, StringComparison.Ordinal);
        Assert.Contains("Repeats must be at least 1 (was 0)", e.Message, StringComparison.Ordinal);
        Assert.Contains("The workload 'gpu' is unknown", e.Message, StringComparison.Ordinal);
    }

    private sealed class SyncProgress(Action<BenchProgress> report) : IProgress<BenchProgress>
    {
        public void Report(BenchProgress value) => report(value);
    }
}
