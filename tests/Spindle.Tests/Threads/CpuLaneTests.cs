namespace Spindle.Tests.Threads;

/// <summary>The CPU lane's threads sleep when idle and are woken by new work, by a burst of it, and by shutdown.</summary>
public sealed class CpuLaneTests
{
    [Fact(Timeout = TestWait.Hard)]
    public async Task SleepingLaneThreads_AreWokenByASubmit_AndSleepAgain()
    {
        await using var executor = Executor.Threads(new ThreadExecutorOptions { CpuThreads = 2 });
        var threads = await LaneThreadsAsync(executor, 2);
        await UntilAsleepAsync(threads, "both lane threads sleep");

        Assert.Equal(8, await executor.Submit(static (int x) => x * 2, 4).WaitAsync(TestWait.Generous));

        await UntilAsleepAsync(threads, "both lane threads sleep again");
        var results = await Task.WhenAll(Enumerable.Range(0, 50).Select(i => executor.Submit(static (int x) => x + 1, i))).WaitAsync(TestWait.Generous);
        Assert.Equal(Enumerable.Range(1, 50), results);
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task TasksSubmittedOneAtATime_SoTheLaneIdlesBetween_AllRun()
    {
        // Each task is awaited before the next is submitted, so a lane thread has often just gone to sleep, or is
        // about to, when the next one arrives: a lost wake-up would hang here until the test's timeout.
        await using var executor = Executor.Threads(new ThreadExecutorOptions { CpuThreads = 2 });
        var sum = 0L;
        for (var i = 0; i < 3_000; i++)
        {
            sum += await executor.Submit(static (int x) => x, i);
        }

        Assert.Equal(3_000L * 2_999 / 2, sum);
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task BurstsFromSeveralSubmitters_WithIdleGaps_AllRun()
    {
        await using var executor = Executor.Threads(new ThreadExecutorOptions { CpuThreads = 2 });
        var submitters = Enumerable.Range(0, 4).Select(s => Task.Run(async () =>
        {
            var done = 0;
            for (var burst = 0; burst < 300; burst++)
            {
                var size = 1 + ((burst + s) % 7);
                var results = await Task.WhenAll(Enumerable.Range(0, size).Select(i => executor.Submit(static (int x) => x, i)));
                done += results.Length;
                await Task.Yield();
            }

            return done;
        })).ToArray();

        var counts = await Task.WhenAll(submitters);
        for (var s = 0; s < counts.Length; s++)
        {
            Assert.Equal(Enumerable.Range(0, 300).Sum(b => 1 + ((b + s) % 7)), counts[s]);
        }
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task Shutdown_WhileEveryLaneThreadSleeps_Completes()
    {
        var executor = Executor.Threads(new ThreadExecutorOptions { CpuThreads = 3 });
        var threads = await LaneThreadsAsync(executor, 3);
        await UntilAsleepAsync(threads, "every lane thread sleeps");

        await executor.ShutdownAsync().WaitAsync(TestWait.Generous);

        // Shutdown joins the lane threads, so each has been woken and has left its loop.
        Assert.All(threads, static t => Assert.False(t.IsAlive, $"{t.Name} is still alive"));
    }

    /// <summary>
    /// The lane's threads, each reported by a task that holds its thread until all of them run at once: with as many
    /// tasks as threads, every thread of the lane runs one.
    /// </summary>
    private static async Task<Thread[]> LaneThreadsAsync(Executor executor, int count)
    {
        using var together = new Barrier(count);
        var threads = await Task.WhenAll(Enumerable.Range(0, count).Select(_ => executor.Submit(
            static (Barrier b) => b.SignalAndWait(TestWait.Generous) ? Thread.CurrentThread : throw new TimeoutException("The lane's threads never ran these tasks together."),
            together))).WaitAsync(TestWait.Generous);
        Assert.Equal(count, threads.Distinct().Count());
        return threads;
    }

    /// <summary>
    /// Waits until every one of <paramref name="threads"/> is blocked in a wait (an idle lane thread's only wait is
    /// its sleep on the lane's monitor), seen in a few checks in a row so that a thread only passing through a
    /// zero-length sleep while it spins is not taken for a sleeper.
    /// </summary>
    private static Task UntilAsleepAsync(Thread[] threads, string what)
    {
        var checks = 0;
        return TestWait.UntilAsync(
            () =>
            {
                checks = threads.All(static t => (t.ThreadState & ThreadState.WaitSleepJoin) != 0) ? checks + 1 : 0;
                return checks >= 3;
            },
            what);
    }
}
