using Spindle.Bench;
using Spindle.Bench.Reporting;
using Spindle.Bench.Workloads;

namespace Spindle.Tests.Bench;

/// <summary>Verdicts are derived from the figures: change the figures and the sentence changes.</summary>
public sealed class VerdictsTests
{
    private static readonly BenchWorkload s_cpu = new BenchWorkload<int>(
        "cpu", "CPU", WorkloadKind.Cpu, 2, [1, 2], CpuWork.CountPrimes, CpuWork.CountPrimesAsync, static a => a);

    [Fact]
    public void ForWorkload_ThreadsScaleAndPythonThreadsDoNot_SaysThreadsSufficeAndNamesTheGil()
    {
        var result = Verdicts.ForWorkload(s_cpu,
        [
            Row("serial", "serial", ".NET", 1.0, 1.0),
            Row("Spindle threads, CPU lane", "threads", ".NET", 0.52, 1.0),
            Row("Python serial", "python-serial", "Python", 30, 30),
            Row("Python ThreadPoolExecutor", "python-threads", "Python", 31, 30),
            Row("Python ProcessPoolExecutor", "python-processes", "Python", 16, 30),
        ]);

        Assert.Equal(
            "CPU-bound (cpu): Spindle threads reach 1.9x (CPU lane), so in .NET threads suffice (processes not measured); "
            + "Python's best is ProcessPoolExecutor at 1.9x while its threads stay at 1.0x (the GIL); fastest overall: Spindle threads, CPU lane (520 ms).",
            result.Verdict);
        Assert.Equal("Spindle threads, CPU lane", result.Winner);
    }

    [Fact]
    public void ForWorkload_ProcessesClearlyFaster_SaysProcessesBeatThreads()
    {
        var result = Verdicts.ForWorkload(s_cpu,
        [
            Row("serial", "serial", ".NET", 1.0, 1.0),
            Row("Spindle threads, CPU lane", "threads", ".NET", 0.75, 1.0),
            Row("Spindle processes", "processes", ".NET", 0.5, 1.0),
        ]);

        Assert.Contains("Spindle threads reach 1.3x (CPU lane) and processes 2.0x, so here processes beat threads", result.Verdict, StringComparison.Ordinal);
        Assert.Equal("Spindle processes", result.Winner);
    }

    [Fact]
    public void ForWorkload_WrongResults_AreNeverTheWinner()
    {
        var wrong = Row("Parallel.ForEach", "tpl", ".NET", 0.1, 1.0) with { ResultsMatch = false, Error = "Its results differ from the serial results." };
        var result = Verdicts.ForWorkload(s_cpu, [Row("serial", "serial", ".NET", 1.0, 1.0), wrong]);

        Assert.Equal("serial", result.Winner);
        Assert.Null(wrong.Speedup);
    }

    private static TechniqueResult Row(string name, string family, string runtime, double seconds, double serial) =>
        new(name, family, runtime, [new RunSample(seconds, seconds, 1)], true, null, serial);
}
