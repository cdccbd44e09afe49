using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace Spindle.Benchmarks.Threads;

/// <summary>
/// The thread executor's figures that take a tenth of a second or more per run: 10,000 concurrent waits on the
/// I/O lane, and a CPU-bound batch on the CPU lane against the same batch run serially. Every case runs once
/// per round and rounds repeat, so that noise from a shared machine falls on all cases alike.
/// </summary>
public sealed class ThreadsHarness : IHarness
{
    private const int Waits = 10_000;
    private const int WaitMilliseconds = 100;
    private const int CpuTasks = 40;
    private const double CpuTaskMilliseconds = 50;
    private const int CpuThreads = 2;

    public string Name => "threads";

    public async Task<IReadOnlyDictionary<string, double>> RunAsync(int repeats, TextWriter log)
    {
        ArgumentNullException.ThrowIfNull(log);
        var limit = CalibratePrimes(CpuTaskMilliseconds);
        var oneTask = Median(Enumerable.Range(0, 5).Select(_ => Time(() => CountPrimes(limit))));
        log.WriteLine($"CPU task: CountPrimes({limit:N0}) takes {oneTask * 1000:0.0} ms");

        await using var executor = Executor.Threads(new ThreadExecutorOptions { Name = "bench", IoConcurrency = Waits, CpuThreads = CpuThreads });
        var inputs = Enumerable.Repeat(WaitMilliseconds, Waits).ToArray();
        var limits = Enumerable.Repeat(limit, CpuTasks).ToArray();

        var cases = new (string Name, Func<Task> Run)[]
        {
            ("waits.tasks", () => Task.WhenAll(inputs.Select(ms => Task.Delay(ms)))),
            ("waits.spindle.submit", () => Task.WhenAll(inputs.Select(ms => executor.Submit(Wait, ms)))),
            ("waits.spindle.map", () => Drain(executor.Map(Wait, inputs, new MapOptions { MaxInFlight = Waits }))),
            ("cpu.serial", () =>
            {
                foreach (var l in limits)
                {
                    CountPrimes(l);
                }

                return Task.CompletedTask;
            }),
            ("cpu.parallel.for", () =>
            {
                Parallel.For(0, CpuTasks, new ParallelOptions { MaxDegreeOfParallelism = CpuThreads }, i => CountPrimes(limits[i]));
                return Task.CompletedTask;
            }),
            ("cpu.spindle.submit", () => Task.WhenAll(limits.Select(l => executor.Submit(CountPrimes, l)))),
            ("cpu.spindle.map", () => Drain(executor.Map(CountPrimes, limits))),
        };

        var times = cases.ToDictionary(c => c.Name, _ => new List<double>());
        for (var round = -1; round < repeats; round++)
        {
            foreach (var (name, run) in cases)
            {
                var clock = Stopwatch.StartNew();
                await run();
                var seconds = clock.Elapsed.TotalSeconds;

                // Round -1 warms up the JIT, the pool and the timer queue; it is not counted.
                if (round >= 0)
                {
                    times[name].Add(seconds);
                }

                log.WriteLine($"round {round,2}  {name,-22} {seconds * 1000,8:0.0} ms");
            }
        }

        var medians = times.ToDictionary(t => t.Key, t => Median(t.Value));
        medians["cpu.task"] = oneTask;
        return medians;
    }

    private static async Task<int> Wait(int milliseconds, CancellationToken token)
    {
        await Task.Delay(milliseconds, token);
        return milliseconds;
    }

    private static async Task Drain<T>(IAsyncEnumerable<T> results)
    {
        await foreach (var _ in results)
        {
        }
    }

    private static double Time(Action action)
    {
        var clock = Stopwatch.StartNew();
        action();
        return clock.Elapsed.TotalSeconds;
    }

    private static double Median(IEnumerable<double> values) => HarnessRunner.Median(values);

    private static int CountPrimes(int limit) => BenchWork.CountPrimes(limit);

    /// <summary>Finds the CountPrimes limit that takes about <paramref name="milliseconds"/> here (median of five timings).</summary>
    private static int CalibratePrimes(double milliseconds)
    {
        var limit = 20_000;
        while (true)
        {
            var took = Median(Enumerable.Range(0, 5).Select(_ => Time(() => CountPrimes(limit)))) * 1000;
            if (took >= milliseconds / 4)
            {
                // Trial division costs about n^1.5; scale the limit to the target.
                return (int)(limit * Math.Pow(milliseconds / took, 1 / 1.5));
            }

            limit *= 2;
        }
    }
}
