using System.Diagnostics;
using Spindle.Internal;
using Spindle.Processes;
using Xunit.Abstractions;

namespace Spindle.Tests.Reliability;

/// <summary>
/// Item 1 of the reliability issue: a map on the process executor while a random worker is SIGKILLed every 200 ms.
/// Python's ProcessPoolExecutor fails the whole pool on one kill; here a kill costs the task it interrupted, which
/// runs again when retries are on.
/// </summary>
[Collection(ReliabilitySuite.Name)]
[Trait("Category", "Reliability")]
public sealed class ChaosTests(ITestOutputHelper output)
{
    private const int Workers = 3;

    [Fact(Timeout = Soak.Hard)]
    public async Task Map_RandomWorkerKilledEvery200ms_WithRetries_EveryResultArrivesExactlyOnceAndCorrect()
    {
        var count = Soak.Scale(3_000, 20_000);
        await using var executor = Create();
        var options = new MapOptions { Task = new TaskOptions { Retries = 1_000 } };

        // Warm the workers up, then time the same map without kills: the time lost is the difference.
        await foreach (var _ in executor.MapUnordered(ReliabilityWork.Checksum, Enumerable.Range(0, 300), options))
        {
        }

        var baseline = Stopwatch.StartNew();
        await foreach (var _ in executor.MapUnordered(ReliabilityWork.Checksum, Enumerable.Range(0, count), options))
        {
        }

        baseline.Stop();
        var seen = new int[count];
        var wrong = 0;
        var clock = Stopwatch.StartNew();
        ChaosMonkey.Report kills;
        await using (var monkey = ChaosMonkey.Start(executor))
        {
            await foreach (var (input, result) in executor.MapUnordered(ReliabilityWork.Checksum, Enumerable.Range(0, count), options).WithCancellation(default))
            {
                seen[input]++;
                if (result != ReliabilityWork.Expected(input))
                {
                    wrong++;
                }
            }

            kills = await monkey.StopAsync();
        }

        clock.Stop();
        var (retriedTasks, retriedItems) = executor.Diagnostics.Retried;
        Soak.Record(output, "chaos.retries_on.tasks", $"{count}");
        Soak.Record(output, "chaos.retries_on.exactly_once", $"{seen.Count(static n => n == 1)}");
        Soak.Record(output, "chaos.retries_on.wrong", $"{wrong}");
        Soak.Record(output, "chaos.retries_on.kills", $"{kills.Kills}");
        Soak.Record(output, "chaos.retries_on.retried", $"{retriedTasks} batches, {retriedItems} items");
        Soak.Record(output, "chaos.retries_on.seconds", $"{clock.Elapsed.TotalSeconds:0.0} with kills, {baseline.Elapsed.TotalSeconds:0.0} without (lost {(clock.Elapsed - baseline.Elapsed).TotalSeconds:0.0})");

        Assert.Equal(count, seen.Count(static n => n == 1));
        Assert.Equal(0, wrong);
        Assert.True(kills.Kills > 0, "The chaos monkey found no worker to kill.");
        Assert.True(retriedTasks > 0, $"{kills.Kills} kills caused no retry.");
        Assert.Equal(0, executor.Progress.Failed);
    }

    [Fact(Timeout = Soak.Hard)]
    public async Task Submit_RandomWorkerKilledEvery200ms_WithoutRetries_EachFailureIsAWorkerCrash_AndEveryOtherResultIsCorrect()
    {
        var count = Soak.Scale(3_000, 20_000);
        await using var executor = Create();

        var clock = Stopwatch.StartNew();
        Task<long>[] tasks;
        ChaosMonkey.Report kills;
        await using (var monkey = ChaosMonkey.Start(executor))
        {
            tasks = [.. Enumerable.Range(0, count).Select(i => executor.Submit(ReliabilityWork.Checksum, i))];
            await Task.WhenAll(tasks.Select(static t => t.ContinueWith(static _ => { }, TaskScheduler.Default))).WaitAsync(Soak.Deadline);
            kills = await monkey.StopAsync();
        }

        clock.Stop();
        var correct = 0;
        var crashed = 0;
        for (var i = 0; i < count; i++)
        {
            if (tasks[i].IsCompletedSuccessfully)
            {
                Assert.Equal(ReliabilityWork.Expected(i), await tasks[i]);
                correct++;
            }
            else
            {
                var error = Assert.IsType<WorkerCrashedException>(tasks[i].Exception!.InnerException);
                Assert.Equal(9, error.Signal);
                crashed++;
            }
        }

        Soak.Record(output, "chaos.retries_off.tasks", $"{count}");
        Soak.Record(output, "chaos.retries_off.correct", $"{correct}");
        Soak.Record(output, "chaos.retries_off.crashed", $"{crashed}");
        Soak.Record(output, "chaos.retries_off.kills", $"{kills.Kills}");
        Soak.Record(output, "chaos.retries_off.seconds", $"{clock.Elapsed.TotalSeconds:0.0}");

        // A kill costs at most the one task its worker was running: never the tasks queued behind it.
        Assert.True(crashed <= kills.Kills, $"{crashed} tasks failed from {kills.Kills} kills.");
        Assert.Equal(count, correct + crashed);
        Assert.True(kills.Kills > 0, "The chaos monkey found no worker to kill.");
    }

    private static ProcessExecutor Create() =>
        (ProcessExecutor)Executor.Processes(new ProcessExecutorOptions { MaxWorkers = Workers, Output = static _ => { } });
}

/// <summary>SIGKILLs a random ready worker of an executor every 200 ms until stopped.</summary>
internal sealed class ChaosMonkey : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task<Report> _loop;

    private ChaosMonkey(ProcessExecutor executor) => _loop = Task.Run(() => LoopAsync(executor, _stop.Token));

    public static ChaosMonkey Start(ProcessExecutor executor) => new(executor);

    public async Task<Report> StopAsync()
    {
        await _stop.CancelAsync();
        return await _loop;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_loop.IsCompleted)
        {
            await StopAsync();
        }

        _stop.Dispose();
    }

    private static async Task<Report> LoopAsync(ProcessExecutor executor, CancellationToken stop)
    {
        var random = new Random(20_000);
        var kills = 0;
        var idleTicks = 0;
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(200));
        try
        {
            while (await timer.WaitForNextTickAsync(stop))
            {
                var pids = executor.Diagnostics.WorkerPids;
                if (pids.Length > 0 && Libc.Signal(pids[random.Next(pids.Length)], Libc.SIGKILL))
                {
                    kills++;
                }
                else
                {
                    // Every worker was being replaced at that tick.
                    idleTicks++;
                }
            }
        }
        catch (OperationCanceledException)
        {
        }

        return new Report(kills, idleTicks);
    }

    public sealed record Report(int Kills, int TicksWithNoWorkerReady);
}
