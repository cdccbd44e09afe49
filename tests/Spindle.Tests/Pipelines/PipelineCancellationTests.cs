using Spindle.Pipelines;

namespace Spindle.Tests.Pipelines;

public sealed class PipelineCancellationTests
{
    [Fact(Timeout = TestWait.Hard)]
    public async Task RunAsync_CancelledMidFlight_ThrowsAndLeavesNoRunningWorkNorUnobservedError()
    {
        var unobserved = new List<Exception>();
        void OnUnobserved(object? sender, UnobservedTaskExceptionEventArgs e)
        {
            // Other tests run alongside; only this test's own marker counts.
            if (e.Exception.ToString().Contains("pipeline-test: error after cancellation", StringComparison.Ordinal))
            {
                lock (unobserved)
                {
                    unobserved.Add(e.Exception);
                }
            }
        }

        TaskScheduler.UnobservedTaskException += OnUnobserved;
        try
        {
            await using var executor = Executor.Threads(new ThreadExecutorOptions { CpuThreads = 2 });
            using var cts = new CancellationTokenSource();
            var pipeline = Pipeline.From(Enumerable.Range(0, 1_000), new PipelineOptions { Executor = executor })
                .Then("double", PipelineWork.Twice, new StageOptions { Parallelism = 2 })
                .Then("wait", PipelineWork.WaitThenThrowWhenCancelled, new StageOptions { Parallelism = 3, KeepOrder = false })
                .Then("square", PipelineWork.Square, new StageOptions { Parallelism = 2 });
            var running = pipeline.RunAsync(cts.Token);

            await TestWait.UntilAsync(() => executor.Progress.Running == 3, "three items wait in the middle stage");
            await cts.CancelAsync();

            var error = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running);
            Assert.Equal(cts.Token, error.CancellationToken);
            Assert.Equal(0, executor.Progress.Running);
            Assert.Equal(0, executor.Progress.Queued);

            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
            Assert.Empty(unobserved);
        }
        finally
        {
            TaskScheduler.UnobservedTaskException -= OnUnobserved;
        }
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task Enumeration_LeftEarly_StopsEveryStageBeforeItReturns()
    {
        await using var executor = Executor.Threads(new ThreadExecutorOptions { CpuThreads = 2 });
        var pipeline = Pipeline.From(Enumerable.Range(0, 1_000_000), new PipelineOptions { Executor = executor })
            .Then("echo", PipelineWork.Echo, new StageOptions { Parallelism = 8 })
            .Then("double", PipelineWork.Twice, new StageOptions { Parallelism = 2, KeepOrder = false });

        var seen = 0;
        await foreach (var _ in pipeline.Start())
        {
            if (++seen == 10)
            {
                break;
            }
        }

        Assert.Equal(0, executor.Progress.Running);
        Assert.Equal(0, executor.Progress.Queued);
        Assert.True(executor.Progress.Finished < 1_000, $"{executor.Progress.Finished} tasks ran");
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task Dispose_RunningRun_StopsItAndItsCompletionIsCancelled()
    {
        await using var executor = Executor.Threads(new ThreadExecutorOptions { CpuThreads = 2 });
        var run = Pipeline.From(Enumerable.Range(0, 100), new PipelineOptions { Executor = executor })
            .Then("wait", static (int x, CancellationToken token) => Task.Delay(Timeout.Infinite, token).ContinueWith(_ => x, TaskScheduler.Default), new StageOptions { Parallelism = 2 }.OnIo())
            .Start();
        await TestWait.UntilAsync(() => executor.Progress.Running == 2, "two items wait");

        await run.DisposeAsync();

        Assert.True(run.Completion.IsCanceled);
        Assert.Equal(0, executor.Progress.Running);
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task GetAsyncEnumerator_SecondReader_IsRefused()
    {
        await using var run = Pipeline.From([1, 2, 3]).Then("double", PipelineWork.Twice).Start();
        var results = new List<int>();
        await foreach (var x in run)
        {
            results.Add(x);
        }

        var error = await Assert.ThrowsAsync<InvalidOperationException>(async () =>
        {
            await foreach (var _ in run)
            {
            }
        });
        Assert.Contains("can be read once", error.Message, StringComparison.Ordinal);
        Assert.Equal([2, 4, 6], results);
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task RunAsync_TokenAlreadyCancelled_ThrowsWithThatTokenAndRunsNothing()
    {
        var ran = 0;
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();

        var error = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Pipeline.From(Enumerable.Range(0, 100))
            .Then("count", (int x) => Interlocked.Increment(ref ran))
            .RunAsync(cts.Token));

        Assert.Equal(cts.Token, error.CancellationToken);
        Assert.Equal(0, ran);
    }
}
