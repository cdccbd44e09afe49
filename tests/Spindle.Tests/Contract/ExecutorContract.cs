namespace Spindle.Tests.Contract;

/// <summary>
/// The behaviour every executor promises, written once against <see cref="Executor"/>. Each variant runs it
/// through a small subclass that says how to create the executor and how its task errors look.
/// </summary>
public abstract class ExecutorContract
{
    /// <summary>Creates the executor under test with exactly <paramref name="workers"/> CPU workers.</summary>
    protected abstract Executor Create(int workers);

    /// <summary>Asserts that <paramref name="failure"/> is how this executor reports work that threw <typeparamref name="TExpected"/>.</summary>
    protected abstract void AssertWorkFailure<TExpected>(Exception failure, string message)
        where TExpected : Exception;

    /// <summary>Asserts that <paramref name="failure"/> is this executor's timeout error.</summary>
    protected virtual void AssertTimeout(Exception failure) => Assert.IsAssignableFrom<TimeoutException>(failure);

    [Fact(Timeout = TestWait.Hard)]
    public async Task Submit_SyncWork_ReturnsItsResult()
    {
        await using var executor = Create(2);
        Assert.Equal(49, await executor.Submit(ContractWork.Square, 7));
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task Submit_AsyncWork_ReturnsItsResult()
    {
        await using var executor = Create(2);
        Assert.Equal(81, await executor.Submit(ContractWork.SquareAsync, 9));
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task Submit_ManyTasks_AllReturnTheirOwnResult()
    {
        await using var executor = Create(2);
        var tasks = Enumerable.Range(0, 500).Select(i => executor.Submit(ContractWork.Square, i)).ToArray();
        var results = await Task.WhenAll(tasks);
        Assert.Equal(Enumerable.Range(0, 500).Select(i => i * i), results);
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task Submit_WorkThrows_CallerSeesTheTypeAndMessage()
    {
        await using var executor = Create(2);
        var error = await Record.ExceptionAsync(() => executor.Submit(ContractWork.FailWith, "the disk is full"));
        Assert.NotNull(error);
        AssertWorkFailure<InvalidOperationException>(error, "the disk is full");
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task Submit_ExecutorKeepsServingAfterAFailure()
    {
        await using var executor = Create(1);
        await Assert.ThrowsAnyAsync<Exception>(() => executor.Submit(ContractWork.FailWith, "once"));
        Assert.Equal(4, await executor.Submit(ContractWork.Square, 2));
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task Map_ResultsComeInInputOrder()
    {
        await using var executor = Create(2);
        var results = new List<int>();
        await foreach (var r in executor.Map(ContractWork.EchoAfterDelay, Enumerable.Range(0, 60), new MapOptions { MaxInFlight = 8 }))
        {
            results.Add(r);
        }

        Assert.Equal(Enumerable.Range(0, 60), results);
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task Map_SyncWorkOverManyItems_ReturnsEveryResult()
    {
        await using var executor = Create(2);
        long sum = 0;
        var count = 0;
        await foreach (var r in executor.Map(ContractWork.Square, Enumerable.Range(0, 20_000)))
        {
            sum += r;
            count++;
        }

        Assert.Equal(20_000, count);
        Assert.Equal(Enumerable.Range(0, 20_000).Sum(i => (long)i * i), sum);
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task Map_AsyncSource_IsMapped()
    {
        await using var executor = Create(2);
        var results = new List<int>();
        await foreach (var r in executor.Map(ContractWork.Square, Numbers(50)))
        {
            results.Add(r);
        }

        Assert.Equal(Enumerable.Range(0, 50).Select(i => i * i), results);

        static async IAsyncEnumerable<int> Numbers(int n)
        {
            for (var i = 0; i < n; i++)
            {
                await Task.Yield();
                yield return i;
            }
        }
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task MapUnordered_PairsEachResultWithItsInput()
    {
        await using var executor = Create(2);
        var seen = new Dictionary<int, int>();
        await foreach (var (input, result) in executor.MapUnordered(ContractWork.EchoAfterDelay, Enumerable.Range(0, 60), new MapOptions { MaxInFlight = 8 }))
        {
            seen.Add(input, result);
        }

        Assert.Equal(60, seen.Count);
        Assert.All(seen, pair => Assert.Equal(pair.Key, pair.Value));
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task Map_FailureSurfacesInOrderAndStopsPullingTheSource()
    {
        await using var executor = Create(2);
        var pulled = 0;
        var results = new List<int>();
        var error = await Record.ExceptionAsync(async () =>
        {
            await foreach (var r in executor.Map(ContractWork.FailOn13, Counting(), new MapOptions { MaxInFlight = 4, BatchSize = 1 }))
            {
                results.Add(r);
            }
        });

        Assert.NotNull(error);
        AssertWorkFailure<ArgumentOutOfRangeException>(error, "thirteen is unlucky");
        Assert.Equal(Enumerable.Range(0, 13), results);
        Assert.InRange(pulled, 14, 13 + 4 + 1);

        IEnumerable<int> Counting()
        {
            for (var i = 0; ; i++)
            {
                pulled++;
                yield return i;
            }
        }
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task Map_FailureInsideABatch_TheResultsBeforeItComeFirst()
    {
        await using var executor = Create(2);
        var results = new List<int>();
        var error = await Record.ExceptionAsync(async () =>
        {
            await foreach (var r in executor.Map(ContractWork.FailOn13, Enumerable.Range(0, 1000), new MapOptions { BatchSize = 50 }))
            {
                results.Add(r);
            }
        });

        Assert.NotNull(error);
        AssertWorkFailure<ArgumentOutOfRangeException>(error, "thirteen is unlucky");
        Assert.Equal(Enumerable.Range(0, 13), results);
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task MapUnordered_FailureEndsTheMapAndStopsPullingTheSource()
    {
        await using var executor = Create(2);
        var pulled = 0;
        var seen = new List<(int Input, int Result)>();
        var error = await Record.ExceptionAsync(async () =>
        {
            await foreach (var pair in executor.MapUnordered(ContractWork.FailOn13, Counting(), new MapOptions { MaxInFlight = 40, BatchSize = 10 }))
            {
                seen.Add(pair);
            }
        });

        Assert.NotNull(error);
        AssertWorkFailure<ArgumentOutOfRangeException>(error, "thirteen is unlucky");
        Assert.All(seen, pair => Assert.Equal(pair.Input, pair.Result));
        Assert.DoesNotContain(13, seen.Select(pair => pair.Input));

        // Pulled = yielded + at most the in-flight window (which holds the failing batch) + 1 for the item being handed over.
        Assert.InRange(pulled, 14, seen.Count + 40 + 1);

        IEnumerable<int> Counting()
        {
            for (var i = 0; ; i++)
            {
                pulled++;
                yield return i;
            }
        }
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task Map_EndlessSource_PullsABoundedNumberOfItems()
    {
        await using var executor = Create(2);
        long pulled = 0;
        var taken = 0;
        await foreach (var r in executor.Map(ContractWork.Square, Endless(), new MapOptions { MaxInFlight = 64 }))
        {
            Assert.Equal((long)taken * taken, r);
            if (++taken == 5_000)
            {
                break;
            }
        }

        // Pulled = consumed + at most the in-flight window (+1 for the item being handed over).
        Assert.InRange(Interlocked.Read(ref pulled), 5_000, 5_000 + 64 + 1);

        IEnumerable<int> Endless()
        {
            for (var i = 0; ; i++)
            {
                Interlocked.Increment(ref pulled);
                yield return i;
            }
        }
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task Submit_CancelledWhilePending_EndsCancelledWithoutRunning()
    {
        await using var executor = Create(1);
        using var blockerStop = new CancellationTokenSource();
        var blocker = executor.Submit(ContractWork.SpinUntilCancelled, 0, blockerStop.Token);
        await TestWait.UntilAsync(() => executor.Progress.Running == 1, "the blocker runs");

        using var cts = new CancellationTokenSource();
        var pending = executor.Submit(ContractWork.Square, 3, cts.Token);
        await cts.CancelAsync();

        var error = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pending);
        Assert.Equal(cts.Token, error.CancellationToken);
        Assert.Equal(0, executor.Progress.Completed);

        await blockerStop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => blocker);
        Assert.Equal(0, executor.Progress.Completed);
        Assert.Equal(2, executor.Progress.Cancelled);
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task Submit_CancelledWhileRunning_WorkSeesItsToken()
    {
        await using var executor = Create(1);
        using var cts = new CancellationTokenSource();
        var running = executor.Submit(ContractWork.WaitForToken, 600_000, cts.Token);
        await TestWait.UntilAsync(() => executor.Progress.Running == 1, "the task runs");

        await cts.CancelAsync();
        var error = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running);
        Assert.Equal(cts.Token, error.CancellationToken);
        Assert.Equal(4, await executor.Submit(ContractWork.Square, 2));
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task Submit_TimeoutElapses_TaskFailsWithTimeout()
    {
        await using var executor = Create(1);
        var options = new TaskOptions { Timeout = TimeSpan.FromMilliseconds(200) };
        var error = await Record.ExceptionAsync(() => executor.Submit(ContractWork.SpinUntilCancelled, 0, options));
        Assert.NotNull(error);
        AssertTimeout(error);
        Assert.Equal(1, executor.Progress.Failed);
        Assert.Equal(9, await executor.Submit(ContractWork.Square, 3));
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task Shutdown_Graceful_RunsEveryAcceptedTask()
    {
        var executor = Create(1);
        var tasks = Enumerable.Range(0, 20).Select(i => executor.Submit(ContractWork.EchoAfterDelay, i)).ToArray();
        await executor.ShutdownAsync();

        Assert.All(tasks, t => Assert.True(t.IsCompletedSuccessfully));
        Assert.Equal(Enumerable.Range(0, 20), tasks.Select(t => t.Result));
        Assert.Equal(20, executor.Progress.Completed);
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task Shutdown_CancelPending_CancelsQueuedTasksAndLetsRunningOnesFinish()
    {
        var executor = Create(1);
        using var blockerStop = new CancellationTokenSource();
        var running = executor.Submit(ContractWork.WaitForToken, 600_000, blockerStop.Token);
        await TestWait.UntilAsync(() => executor.Progress.Running == 1, "the first task runs");
        var pending = Enumerable.Range(0, 10).Select(i => executor.Submit(ContractWork.SquareAsync, i)).ToArray();

        var shutdown = executor.ShutdownAsync(ShutdownMode.CancelPending);
        foreach (var task in pending)
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => task);
        }

        Assert.False(running.IsCompleted);
        Assert.False(shutdown.IsCompleted);
        await blockerStop.CancelAsync();
        await shutdown;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running);
        Assert.Equal(11, executor.Progress.Cancelled);
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task Submit_AfterShutdown_ThrowsInvalidOperation()
    {
        var executor = Create(1);
        await executor.ShutdownAsync();

        var error = Assert.Throws<InvalidOperationException>(() => { _ = executor.Submit(ContractWork.Square, 1); });
        Assert.Contains("shut down", error.Message, StringComparison.Ordinal);
        Assert.Throws<InvalidOperationException>(() => executor.Map(ContractWork.Square, [1, 2]));
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task Progress_CountsEveryOutcome()
    {
        await using var executor = Create(2);
        var seen = new List<ExecutorProgress>();
        executor.ProgressChanged += (_, p) =>
        {
            lock (seen)
            {
                seen.Add(p);
            }
        };

        await Task.WhenAll(Enumerable.Range(0, 10).Select(i => executor.Submit(ContractWork.Square, i)));
        await Assert.ThrowsAnyAsync<Exception>(() => executor.Submit(ContractWork.FailWith, "x"));

        var progress = executor.Progress;
        Assert.Equal(new ExecutorProgress(0, 0, 10, 1, 0), progress);
        lock (seen)
        {
            Assert.NotEmpty(seen);
            Assert.Contains(seen, p => p.Completed == 10 || p.Failed == 1);
        }
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task Submit_NullWork_ThrowsArgumentNull()
    {
        await using var executor = Create(1);
        Assert.Throws<ArgumentNullException>(() => { _ = executor.Submit((Func<int, int>)null!, 1); });
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task Submit_InvalidTaskOptions_ListsEveryProblem()
    {
        await using var executor = Create(1);
        var error = Assert.Throws<SpindleOptionsException>(() =>
        {
            _ = executor.Submit(ContractWork.Square, 1, new TaskOptions { Timeout = TimeSpan.FromSeconds(-1), Retries = -2 });
        });
        Assert.Equal(2, error.Problems.Count);
        Assert.Contains("Timeout must be greater than zero (was -00:00:01)", error.Message, StringComparison.Ordinal);
        Assert.Contains("Retries must be 0 or more (was -2)", error.Message, StringComparison.Ordinal);
    }
}
