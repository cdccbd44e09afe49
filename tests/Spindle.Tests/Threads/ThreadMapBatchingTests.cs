namespace Spindle.Tests.Threads;

/// <summary>
/// Map of sync work on the thread executor runs consecutive items in batches on the CPU lane; these check that
/// batching changes nothing a user can see except speed: order, failures, cancellation, progress, threads.
/// </summary>
public sealed class ThreadMapBatchingTests
{
    [Fact(Timeout = TestWait.Hard)]
    public async Task Map_ManyTinyItems_RunOnLaneThreadsAndArriveInOrder()
    {
        await using var executor = Executor.Threads(new ThreadExecutorOptions { CpuThreads = 2, Name = "batch" });
        var index = 0;
        await foreach (var (x, thread) in executor.Map(static (int x) => (x, Thread.CurrentThread.Name ?? ""), Enumerable.Range(0, 50_000)))
        {
            Assert.Equal(index++, x);
            Assert.StartsWith("batch cpu ", thread, StringComparison.Ordinal);
        }

        Assert.Equal(50_000, index);
        Assert.Equal(new ExecutorProgress(0, 0, 50_000, 0, 0), executor.Progress);
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task Map_FailureDeepInARun_DeliversEveryEarlierResultThenTheExceptionUnchanged()
    {
        await using var executor = Executor.Threads(new ThreadExecutorOptions { CpuThreads = 2 });
        var results = new List<int>();
        var error = await Record.ExceptionAsync(async () =>
        {
            await foreach (var r in executor.Map(FailOn15000, Enumerable.Range(0, 40_000)))
            {
                results.Add(r);
            }
        });

        var failure = Assert.IsType<InvalidDataException>(error);
        Assert.Equal("item 15000 is bad", failure.Message);
        Assert.Contains(nameof(FailOn15000), failure.StackTrace, StringComparison.Ordinal);
        Assert.Equal(Enumerable.Range(0, 15_000), results);

        // Every item pulled is accounted for once the Map has ended: none is left queued or running.
        var progress = executor.Progress;
        Assert.Equal(0, progress.Queued);
        Assert.Equal(0, progress.Running);
        Assert.Equal(1, progress.Failed);
        Assert.True(progress.Completed >= 15_000, $"completed {progress.Completed}");
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task Map_CallerCancelsMidRun_EndsWithCancellationAndLeavesNothingQueued()
    {
        await using var executor = Executor.Threads(new ThreadExecutorOptions { CpuThreads = 2 });
        using var cts = new CancellationTokenSource();
        var taken = 0;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var _ in executor.Map(static (int x) => x, Enumerable.Range(0, 1_000_000), cancellationToken: cts.Token))
            {
                if (++taken == 5_000)
                {
                    await cts.CancelAsync();
                }
            }
        });

        Assert.InRange(taken, 5_000, 1_000_000 - 1);
        Assert.Equal(0, executor.Progress.Queued);
        Assert.Equal(0, executor.Progress.Running);
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task Map_WithAProgressListener_RaisesEventsForEveryItem()
    {
        await using var executor = Executor.Threads(new ThreadExecutorOptions { CpuThreads = 2 });
        var events = 0;
        executor.ProgressChanged += (_, _) => Interlocked.Increment(ref events);

        await foreach (var _ in executor.Map(static (int x) => x, Enumerable.Range(0, 2_000)))
        {
        }

        // Queued, started and finished, for each item: a listener sees every task, as with Submit.
        Assert.Equal(3 * 2_000, Volatile.Read(ref events));
        Assert.Equal(new ExecutorProgress(0, 0, 2_000, 0, 0), executor.Progress);
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task Map_BatchSizeGiven_EachBatchRunsOnOneThread()
    {
        await using var executor = Executor.Threads(new ThreadExecutorOptions { CpuThreads = 2 });
        var threads = new List<int>();
        await foreach (var id in executor.Map(static (int _) => Environment.CurrentManagedThreadId, Enumerable.Range(0, 3_000), new MapOptions { BatchSize = 1_000, MaxInFlight = 3_000 }))
        {
            threads.Add(id);
        }

        Assert.Equal(3_000, threads.Count);
        for (var batch = 0; batch < 3; batch++)
        {
            Assert.Single(threads.Skip(batch * 1_000).Take(1_000).Distinct());
        }
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task Map_ShutdownCancelPending_EndsTheMapWithCancellation()
    {
        var executor = Executor.Threads(new ThreadExecutorOptions { CpuThreads = 1 });
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        // The first item holds the only lane thread, so the other nine wait in the queue; the source has no more
        // items, so the Map asks nothing of the executor after shutdown.
        var map = Task.Run(async () =>
        {
            await foreach (var _ in executor.Map((int x) =>
            {
                if (x == 0)
                {
                    started.SetResult();
                    gate.Task.Wait();
                }

                return x;
            }, Enumerable.Range(0, 10), new MapOptions { MaxInFlight = 10, BatchSize = 1 }))
            {
            }
        });

        await started.Task;
        await TestWait.UntilAsync(() => executor.Progress.Queued == 9, "nine more items wait");
        var shutdown = executor.ShutdownAsync(ShutdownMode.CancelPending);
        await TestWait.UntilAsync(() => executor.Progress.Cancelled == 9, "the waiting items are cancelled");
        gate.SetResult();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => map);
        await shutdown;
        Assert.Equal(new ExecutorProgress(0, 0, 1, 0, 9), executor.Progress);
    }

    private static int FailOn15000(int x) => x == 15_000 ? throw new InvalidDataException("item 15000 is bad") : x;
}
