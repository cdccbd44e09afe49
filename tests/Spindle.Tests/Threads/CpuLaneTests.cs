using Spindle.Threads;

namespace Spindle.Tests.Threads;

/// <summary>The CPU lane's threads sleep when idle and are woken by new work, by a burst of it, and by shutdown.</summary>
public sealed class CpuLaneTests
{
    [Fact(Timeout = TestWait.Hard)]
    public async Task SleepingLaneThreads_AreWokenByASubmit_AndSleepAgain()
    {
        await using var executor = (ThreadExecutor)Executor.Threads(new ThreadExecutorOptions { CpuThreads = 2 });
        await TestWait.UntilAsync(() => executor.Cpu.Sleeping == 2, "both lane threads sleep");

        Assert.Equal(8, await executor.Submit(static (int x) => x * 2, 4));

        await TestWait.UntilAsync(() => executor.Cpu.Sleeping == 2, "both lane threads sleep again");
        var results = await Task.WhenAll(Enumerable.Range(0, 50).Select(i => executor.Submit(static (int x) => x + 1, i)));
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
        var executor = (ThreadExecutor)Executor.Threads(new ThreadExecutorOptions { CpuThreads = 3 });
        await executor.Submit(static (int x) => x, 1);
        await TestWait.UntilAsync(() => executor.Cpu.Sleeping == 3, "every lane thread sleeps");

        await executor.ShutdownAsync();

        Assert.Equal(0, executor.Cpu.Sleeping);
    }
}
