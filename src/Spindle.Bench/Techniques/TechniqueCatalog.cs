namespace Spindle.Bench.Techniques;

/// <summary>The .NET techniques the bench compares, in table order. The Python ones live in spindle_bench.py.</summary>
internal static class TechniqueCatalog
{
    public static readonly IReadOnlyList<string> PythonNames = ["Python serial", "Python ThreadPoolExecutor", "Python ProcessPoolExecutor", "Python asyncio"];

    public static IReadOnlyList<BenchTechnique> DotNet()
    {
        var cores = Environment.ProcessorCount;
        return
        [
            BenchTechnique.Serial(),

            // Each lane is measured on its own by forcing the kind: the I/O lane runs the async shape with the workload's
            // concurrency; the CPU lane runs the blocking shape on one dedicated thread per core.
            BenchTechnique.OnExecutor(
                "Spindle threads, I/O lane", "threads",
                w => Executor.Threads(new ThreadExecutorOptions { Name = "bench-io", IoConcurrency = w.Concurrency, CpuThreads = 1 }),
                WorkForm.Async, WorkKind.IoBound),
            BenchTechnique.OnExecutor(
                "Spindle threads, CPU lane", "threads",
                _ => Executor.Threads(new ThreadExecutorOptions { Name = "bench-cpu", CpuThreads = cores }),
                WorkForm.Sync, WorkKind.CpuBound),

            // Lead: add processes/auto here, one line each, e.g.
            // BenchTechnique.OnExecutor("Spindle processes", "processes", _ => Executor.Processes(new ProcessExecutorOptions { MaxWorkers = cores })),
            // BenchTechnique.OnExecutor("Spindle Auto", "auto", w => Executor.Auto()),
            // WorkForm.Natural (the default) hands the executor the shape ordinary code would use; the verdicts already
            // compare the "processes" and "auto" families once they have figures.
            BenchTechnique.ParallelForEach(),
            BenchTechnique.ParallelForEachAsync(),
        ];
    }
}
