using System.Diagnostics;

namespace Spindle.Tests.Threads;

/// <summary>Tests that measure how threads are scheduled (starvation, Auto's CPU share): they run apart from the parallel ones.</summary>
[CollectionDefinition(nameof(StarvationSensitive), DisableParallelization = true)]
public sealed class StarvationSensitive;

/// <summary>What only the thread executor promises: its two lanes.</summary>
[Collection(nameof(StarvationSensitive))]
public sealed class ThreadExecutorTests
{
    [Fact(Timeout = TestWait.Hard)]
    public async Task CpuLane_SaturatedWithBusyLoops_DoesNotStarveTheSharedThreadPool()
    {
        var cores = Environment.ProcessorCount;
        await using var executor = Executor.Threads(new ThreadExecutorOptions { CpuThreads = cores * 4 });
        using var stop = new CancellationTokenSource();
        var busy = Enumerable.Range(0, cores * 8).Select(_ => executor.Submit(BusyLoop, 0, stop.Token)).ToArray();
        await TestWait.UntilAsync(() => executor.Progress.Running == cores * 4, "every CPU lane thread spins");

        // Ten awaited delays on the shared pool; each must come back promptly although every lane thread spins.
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < 10; i++)
        {
            await Task.Run(() => Task.Delay(10));
        }

        var elapsed = clock.Elapsed;
        await stop.CancelAsync();
        await Task.WhenAll(busy.Select(t => t.ContinueWith(static _ => { }, TaskScheduler.Default)));
        // Generous: with eight spinning lane threads on two cores the kernel sometimes gives a woken pool thread its
        // turn only after the others' slices (seen here: 2.5-3 s for the ten, against 0.4 s at other times). A
        // starved pool would need far longer: its sixteen busy items would each hold a pool thread, added at about
        // two a second, before the first delay's turn came.
        Assert.True(elapsed < TimeSpan.FromSeconds(10), $"ten 10 ms delays took {elapsed.TotalMilliseconds:0} ms while the CPU lane was saturated");
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task CpuLane_RunsSyncWorkOnItsOwnThreads_NotThePool()
    {
        await using var executor = Executor.Threads(new ThreadExecutorOptions { CpuThreads = 2, Name = "lanes" });
        var names = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => executor.Submit(static (int _) => ThreadInfo(), 0)));

        Assert.All(names, n => Assert.StartsWith("lanes cpu ", n.Name, StringComparison.Ordinal));
        Assert.All(names, n => Assert.False(n.IsPool));
        Assert.InRange(names.Select(n => n.Name).Distinct().Count(), 1, 2);
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task IoLane_NeverRunsMoreThanItsConcurrency()
    {
        await using var executor = Executor.Threads(new ThreadExecutorOptions { IoConcurrency = 3 });
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var current = 0;
        var peak = 0;
        var tasks = Enumerable.Range(0, 30).Select(_ => executor.Submit(async (int _) =>
        {
            var now = Interlocked.Increment(ref current);
            InterlockedMax(ref peak, now);
            await gate.Task;
            Interlocked.Decrement(ref current);
            return 0;
        }, 0)).ToArray();

        // Waits until three tasks are inside their work, not only counted as running (which a task is just before
        // its work starts): the gate must open only once all three hold it, or the peak could stay below three.
        await TestWait.UntilAsync(() => Volatile.Read(ref current) == 3 && executor.Progress.Running == 3, "three tasks run");
        Assert.Equal(27, executor.Progress.Queued);
        gate.SetResult();
        await Task.WhenAll(tasks);
        Assert.Equal(3, peak);
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task IoLane_AwaitsHoldNoThread_TenThousandWaitsFinishTogether()
    {
        await using var executor = Executor.Threads(new ThreadExecutorOptions { IoConcurrency = 10_000 });
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var tasks = Enumerable.Range(0, 10_000).Select(i => executor.Submit(async (int x) =>
        {
            await gate.Task;
            return x;
        }, i)).ToArray();

        await TestWait.UntilAsync(() => executor.Progress.Running == 10_000, "all ten thousand tasks wait at once");
        gate.SetResult();
        var results = await Task.WhenAll(tasks);
        Assert.Equal(Enumerable.Range(0, 10_000), results);
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task DeclaredKind_IoBoundSyncWork_RunsOnThePoolNotTheCpuLane()
    {
        await using var executor = Executor.Threads(new ThreadExecutorOptions { CpuThreads = 1 });
        var info = await executor.Submit(static (int _) => ThreadInfo(), 0, new TaskOptions { Kind = WorkKind.IoBound });
        Assert.True(info.IsPool);
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task IsolatedKind_OnThreads_IsRefusedWithAHint()
    {
        await using var executor = Executor.Threads();
        var error = Assert.Throws<ArgumentException>(() =>
        {
            _ = executor.Submit(static (int x) => x, 0, new TaskOptions { Kind = WorkKind.Isolated });
        });
        Assert.Contains("Executor.Processes()", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Options_AllProblemsReportedTogether_WhenTheExecutorIsCreated()
    {
        var error = Assert.Throws<SpindleOptionsException>(() => Executor.Threads(new ThreadExecutorOptions { IoConcurrency = 0, CpuThreads = -1, Name = "" }));

        Assert.Equal(3, error.Problems.Count);
        Assert.Contains("IoConcurrency must be greater than 0 (was 0).", error.Message, StringComparison.Ordinal);
        Assert.Contains("CpuThreads must be greater than 0 (was -1)", error.Message, StringComparison.Ordinal);
        Assert.Contains("Name must not be empty", error.Message, StringComparison.Ordinal);
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task Shutdown_TokenCancelled_StopsWaitingAndCancelsRunningWork()
    {
        var executor = Executor.Threads(new ThreadExecutorOptions { CpuThreads = 1 });
        var running = executor.Submit(static (int _, CancellationToken token) =>
        {
            token.WaitHandle.WaitOne();
            token.ThrowIfCancellationRequested();
            return 0;
        }, 0);
        await TestWait.UntilAsync(() => executor.Progress.Running == 1, "the task runs");

        using var impatience = new CancellationTokenSource();
        var shutdown = executor.ShutdownAsync(cancellationToken: impatience.Token);
        await impatience.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => shutdown);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running);
        await executor.ShutdownAsync();
    }

    private static int BusyLoop(int ignored, CancellationToken token)
    {
        while (!token.IsCancellationRequested)
        {
            Thread.SpinWait(100);
        }

        return 0;
    }

    private static (string Name, bool IsPool) ThreadInfo() =>
        (Thread.CurrentThread.Name ?? "", Thread.CurrentThread.IsThreadPoolThread);

    private static void InterlockedMax(ref int target, int value)
    {
        int seen;
        while ((seen = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, seen) != seen)
        {
        }
    }
}
