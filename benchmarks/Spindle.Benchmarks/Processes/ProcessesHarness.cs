using System.Diagnostics;
using Spindle.Internal;
using Spindle.Processes;

namespace Spindle.Benchmarks.Processes;

/// <summary>
/// The process executor's figures (issue 3): unbatched Submit throughput, Map of a million trivial items with
/// automatic batching, a CPU batch against serial, the time from creating an executor to its first result,
/// an idle worker's memory, and the time a SIGKILLed worker's replacement takes to serve a task. Values are
/// medians in seconds, except where the name says otherwise.
/// </summary>
public sealed class ProcessesHarness : IHarness
{
    private const int Workers = 2;
    private const int SubmitTasks = 20_000;
    private const int MapItems = 1_000_000;
    private const int CpuTasks = 40;

    public string Name => "processes";

    public async Task<IReadOnlyDictionary<string, double>> RunAsync(int repeats, TextWriter log)
    {
        ArgumentNullException.ThrowIfNull(log);
        var limit = BenchWork.Calibrate(BenchWork.CountPrimes, 20_000, 50);
        var limits = Enumerable.Repeat(limit, CpuTasks).ToArray();
        var options = new ProcessExecutorOptions { Name = "bench", MaxWorkers = Workers };
        var times = new Dictionary<string, List<double>>();
        void Add(string name, double value)
        {
            if (!times.TryGetValue(name, out var list))
            {
                times[name] = list = [];
            }

            list.Add(value);
            log.WriteLine($"{name,-28} {value,12:0.000000}");
        }

        for (var round = -1; round < repeats; round++)
        {
            // A fresh executor per round: creation to first result is one of the figures.
            var clock = Stopwatch.StartNew();
            var executor = (ProcessExecutor)Executor.Processes(options);
            await executor.Submit(BenchWork.Trivial, 0);
            var firstResult = clock.Elapsed.TotalSeconds;
            await Task.WhenAll(Enumerable.Range(0, Workers * 4).Select(i => executor.Submit(BenchWork.Trivial, i)));

            var pids = executor.Diagnostics.WorkerPids;
            await Task.Delay(200);
            var idleRss = pids.Average(pid => ResidentMemory.Of(pid)) / (1024.0 * 1024);
            var idlePrivate = pids.Average(pid => PrivateBytes(pid)) / (1024.0 * 1024);

            clock.Restart();
            await Task.WhenAll(Enumerable.Range(0, SubmitTasks).Select(i => executor.Submit(BenchWork.Trivial, i)));
            var submit = clock.Elapsed.TotalSeconds;

            clock.Restart();
            long sum = 0;
            await foreach (var r in executor.Map(BenchWork.Trivial, Enumerable.Range(0, MapItems)))
            {
                sum += r;
            }

            var map = clock.Elapsed.TotalSeconds;

            clock.Restart();
            foreach (var l in limits)
            {
                BenchWork.CountPrimes(l);
            }

            var serial = clock.Elapsed.TotalSeconds;
            clock.Restart();
            await Task.WhenAll(limits.Select(l => executor.Submit(BenchWork.CountPrimes, l)));
            var parallel = clock.Elapsed.TotalSeconds;

            // Recovery: kill one worker while idle, then time until a task is served on the executor with one fewer.
            var victim = executor.Diagnostics.WorkerPids[0];
            clock.Restart();
            Libc.Signal(victim, Libc.SIGKILL);
            while (executor.Diagnostics.WorkerPids.Contains(victim))
            {
                await Task.Yield();
            }

            await Task.WhenAll(Enumerable.Range(0, Workers * 2).Select(i => executor.Submit(BenchWork.Trivial, i)));
            while (executor.Diagnostics.WorkerPids.Length < Workers)
            {
                await Task.Delay(1);
            }

            var recovery = clock.Elapsed.TotalSeconds;

            // The same idle workers once tasks have carried a record (MessagePack's full options, and OpenSSL with them).
            await Task.WhenAll(Enumerable.Range(0, Workers * 4).Select(i => executor.Submit(BenchWork.Discount, new Order("c", i))));
            await Task.Delay(200);
            var idleRssRecord = executor.Diagnostics.WorkerPids.Average(pid => ResidentMemory.Of(pid)) / (1024.0 * 1024);
            await executor.ShutdownAsync();

            if (round < 0)
            {
                continue;
            }

            Add("first_result", firstResult);
            Add("idle_rss_mb", idleRss);
            Add("idle_private_mb", idlePrivate);
            Add("idle_rss_record_mb", idleRssRecord);
            Add("submit_20k", submit);
            Add("map_1m", map);
            Add("cpu.serial", serial);
            Add("cpu.processes", parallel);
            Add("recovery", recovery);
        }

        return times.ToDictionary(t => t.Key, t => HarnessRunner.Median(t.Value));
    }

    /// <summary>Memory only this process holds (private pages), from /proc/PID/smaps_rollup: what one more worker costs.</summary>
    private static long PrivateBytes(int pid)
    {
        long kb = 0;
        foreach (var line in File.ReadLines($"/proc/{pid}/smaps_rollup"))
        {
            if (line.StartsWith("Private_", StringComparison.Ordinal))
            {
                kb += long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        return kb * 1024;
    }
}
