using System.Diagnostics;

namespace Spindle.Benchmarks.Auto;

/// <summary>
/// Issue 4's mixed workload — 200 simulated downloads of 50 ms, 40 CPU tasks of about 50 ms and 40 allocation-heavy
/// tasks of about 50 ms, submitted together — run by Auto and by every hand-chosen assignment of the three kinds to
/// the three lanes (27), which include "everything on threads" (I/O, CPU, CPU) and "everything on processes".
/// Also the GC question: allocation-heavy work alone on the CPU lane against the process lane.
/// </summary>
public sealed class AutoHarness : IHarness
{
    private const int Downloads = 200;
    private const int CpuTasks = 40;
    private const int AllocTasks = 40;

    private static readonly WorkKind[] Lanes = [WorkKind.IoBound, WorkKind.CpuBound, WorkKind.Isolated];

    public string Name => "auto";

    public async Task<IReadOnlyDictionary<string, double>> RunAsync(int repeats, TextWriter log)
    {
        ArgumentNullException.ThrowIfNull(log);
        var primes = BenchWork.Calibrate(BenchWork.CountPrimes, 20_000, 50);
        var rounds = BenchWork.Calibrate(BenchWork.AllocationHeavy, 16, 50);
        log.WriteLine($"CountPrimes({primes}) and AllocationHeavy({rounds}) take about 50 ms each");

        var configs = new List<(string Name, WorkKind? Io, WorkKind? Cpu, WorkKind? Alloc)> { ("auto", null, null, null) };
        foreach (var io in Lanes)
        {
            foreach (var cpu in Lanes)
            {
                foreach (var alloc in Lanes)
                {
                    configs.Add(($"{Short(io)}-{Short(cpu)}-{Short(alloc)}", io, cpu, alloc));
                }
            }
        }

        var times = configs.ToDictionary(c => c.Name, _ => new List<double>());
        var gc = new Dictionary<string, List<double>> { ["alloc.cpu_lane"] = [], ["alloc.processes"] = [], ["alloc.serial"] = [] };
        // One executor per assignment, all alive for the whole run, and the rounds interleaved: each round runs every
        // assignment once, starting one further along the list each time, so that the machine's drift over the minutes
        // of a run (other work on its cores, the disk) falls on every assignment alike instead of on whichever ran then.
        // Each executor keeps what it learnt between rounds (Auto its profiles, every one its I/O lane's concurrency);
        // round -1, untimed, is where Auto first measures its functions.
        var executors = configs.Select(_ => (AutoExecutor)Executor.Auto(new AutoExecutorOptions
        {
            Name = "bench",
            CpuThreads = Environment.ProcessorCount,
            Processes = new ProcessExecutorOptions { Name = "bench processes", MaxWorkers = Environment.ProcessorCount, Start = WorkerStart.Lazy },
        })).ToArray();
        try
        {
            for (var round = -1; round < repeats; round++)
            {
                for (var k = 0; k < configs.Count; k++)
                {
                    var i = (k + round + 1) % configs.Count;
                    var config = configs[i];
                    var clock = Stopwatch.StartNew();
                    await Mixed(executors[i], config.Io, config.Cpu, config.Alloc, primes, rounds);
                    var seconds = clock.Elapsed.TotalSeconds;
                    if (round >= 0)
                    {
                        times[config.Name].Add(seconds);
                    }

                    log.WriteLine($"{config.Name,-8} round {round,2} {seconds * 1000,8:0} ms");
                }
            }

            foreach (var report in executors[0].Report())
            {
                log.WriteLine($"auto report: {report.Function} -> {report.Lane}: {report.Reason}");
            }
        }
        finally
        {
            foreach (var executor in executors)
            {
                await executor.DisposeAsync();
            }
        }

        // The GC question, alone: allocation-heavy tasks on dedicated threads (one shared heap) against worker
        // processes (one heap each), in this process's GC mode.
        await using (var threads = Executor.Threads(new ThreadExecutorOptions { CpuThreads = Environment.ProcessorCount }))
        await using (var processes = Executor.Processes(new ProcessExecutorOptions { MaxWorkers = Environment.ProcessorCount }))
        {
            var items = Enumerable.Repeat(rounds, AllocTasks).ToArray();
            for (var round = -1; round < repeats; round++)
            {
                var clock = Stopwatch.StartNew();
                foreach (var r in items)
                {
                    BenchWork.AllocationHeavy(r);
                }

                var serial = clock.Elapsed.TotalSeconds;
                clock.Restart();
                await Task.WhenAll(items.Select(r => threads.Submit(BenchWork.AllocationHeavy, r)));
                var onThreads = clock.Elapsed.TotalSeconds;
                clock.Restart();
                await Task.WhenAll(items.Select(r => processes.Submit(BenchWork.AllocationHeavy, r)));
                var onProcesses = clock.Elapsed.TotalSeconds;
                if (round >= 0)
                {
                    gc["alloc.serial"].Add(serial);
                    gc["alloc.cpu_lane"].Add(onThreads);
                    gc["alloc.processes"].Add(onProcesses);
                }

                log.WriteLine($"alloc round {round,2}: serial {serial * 1000:0} ms, CPU lane {onThreads * 1000:0} ms, processes {onProcesses * 1000:0} ms");
            }
        }

        var medians = times.Concat(gc).ToDictionary(t => t.Key, t => HarnessRunner.Median(t.Value));
        medians["gc.server"] = System.Runtime.GCSettings.IsServerGC ? 1 : 0;
        return medians;
    }

    private static Task Mixed(AutoExecutor executor, WorkKind? io, WorkKind? cpu, WorkKind? alloc, int primes, int rounds)
    {
        static TaskOptions Options(WorkKind? kind) => kind is null ? TaskOptions.Default : new TaskOptions { Kind = kind };
        var tasks = new List<Task>(Downloads + CpuTasks + AllocTasks);
        var ioOptions = Options(io);
        var cpuOptions = Options(cpu);
        var allocOptions = Options(alloc);
        for (var i = 0; i < Math.Max(Downloads, CpuTasks); i++)
        {
            if (i < Downloads)
            {
                tasks.Add(executor.Submit(BenchWork.Download, 50, ioOptions));
            }

            if (i < CpuTasks)
            {
                tasks.Add(executor.Submit(BenchWork.CountPrimes, primes, cpuOptions));
                tasks.Add(executor.Submit(BenchWork.AllocationHeavy, rounds, allocOptions));
            }
        }

        return Task.WhenAll(tasks);
    }

    private static string Short(WorkKind kind) => kind switch
    {
        WorkKind.IoBound => "io",
        WorkKind.CpuBound => "cpu",
        _ => "proc",
    };
}
