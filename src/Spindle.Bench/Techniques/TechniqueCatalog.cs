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

            // Processes and Auto get the shape ordinary code would use (WorkForm.Natural): async for I/O workloads,
            // blocking for CPU ones. A worker runs one task at a time, so I/O on processes shows what isolation costs.
            BenchTechnique.OnExecutor(
                "Spindle processes", "processes",
                _ => Executor.Processes(new ProcessExecutorOptions { Name = "bench-processes", MaxWorkers = cores })),
            BenchTechnique.OnExecutor(
                "Spindle Auto", "auto",
                w => Executor.Auto(new AutoExecutorOptions
                {
                    Name = "bench-auto",
                    MinIoConcurrency = Math.Max(1, w.Concurrency),
                    MaxIoConcurrency = Math.Max(1, w.Concurrency) * 4,
                    Processes = new ProcessExecutorOptions { Name = "bench-auto-processes", MaxWorkers = cores, Start = WorkerStart.Lazy },
                })),
            BenchTechnique.ParallelForEach(),
            BenchTechnique.ParallelForEachAsync(),
        ];
    }
}
