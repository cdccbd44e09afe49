using System.Collections.Concurrent;
using Spindle.Pipelines;

namespace Spindle.Tests.Pipelines;

public sealed class PipelineErrorTests
{
    [Fact(Timeout = TestWait.Hard)]
    public async Task RunAsync_FailFast_SurfacesTheFirstErrorWithItsStageAndItem()
    {
        await using var executor = Executor.Threads(new ThreadExecutorOptions { CpuThreads = 2 });
        var pipeline = Pipeline.From(Enumerable.Range(0, 10_000), new PipelineOptions { Name = "numbers", Executor = executor })
            .Then("echo", PipelineWork.Echo, new StageOptions { Parallelism = 4 })
            .Then("check", PipelineWork.FailOn13, new StageOptions { Parallelism = 2 });

        var error = await Assert.ThrowsAsync<PipelineStageException>(() => pipeline.RunAsync());

        Assert.Equal("check", error.Stage);
        Assert.Equal("numbers", error.Pipeline);
        Assert.Equal(13, error.Item);
        var inner = Assert.IsType<ArgumentOutOfRangeException>(error.InnerException);
        Assert.Contains("thirteen is unlucky", inner.Message, StringComparison.Ordinal);
        Assert.StartsWith("Stage 'check' of pipeline 'numbers' failed on item '13'", error.Message, StringComparison.Ordinal);

        // The run ended only once nothing of it ran, and it stopped pulling long before the end of the source.
        Assert.Equal(0, executor.Progress.Running);
        Assert.Equal(0, executor.Progress.Queued);
        Assert.True(executor.Progress.Finished < 2 * 10_000, $"{executor.Progress.Finished} tasks ran");
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task RunAsync_Skip_RecordsEachFailedItemAndDeliversTheRest()
    {
        var results = new List<int>();
        var result = await Pipeline.From(Enumerable.Range(1, 50))
            .Then("check", PipelineWork.FailOnMultiplesOf5, new StageOptions { Parallelism = 2, Errors = StageErrorPolicy.Skip })
            .RunAsync(results.Add);

        Assert.Equal(Enumerable.Range(1, 50).Where(x => x % 5 != 0), results);
        Assert.Equal([5, 10, 15, 20, 25, 30, 35, 40, 45, 50], result.Failures.Select(f => (int)f.Item!).Order());
        Assert.All(result.Failures, f =>
        {
            Assert.Equal("check", f.Stage);
            Assert.Equal(1, f.Attempts);
            Assert.Equal($"{f.Item} is a multiple of five", Assert.IsType<InvalidOperationException>(f.Exception).Message);
        });
        Assert.Equal(10, result.Progress.Stages[0].ItemsFailed);
        Assert.Equal(40, result.Progress.Stages[0].ItemsOut);
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task RunAsync_Retry_RunsAFailingItemAgainUntilItSucceeds()
    {
        var attempts = new ConcurrentDictionary<int, int>();
        var results = new List<int>();
        var result = await Pipeline.From(Enumerable.Range(0, 20))
            .Then("flaky", (int x) => x % 7 == 3 && attempts.AddOrUpdate(x, 1, (_, n) => n + 1) <= 2 ? throw new IOException($"flaky {x}") : x,
                new StageOptions { Parallelism = 2, Errors = StageErrorPolicy.Retry(2) })
            .RunAsync(results.Add);

        Assert.Equal(Enumerable.Range(0, 20), results);
        Assert.Empty(result.Failures);
        Assert.Equal(3, attempts[3]);
        Assert.Equal(3, attempts[10]);
        Assert.Equal(3, attempts[17]);
        Assert.Equal(6, result.Progress.Stages[0].Retries);
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task RunAsync_RetryExhausted_FailsFastWithTheLastError()
    {
        var attempts = 0;
        var pipeline = Pipeline.From(Enumerable.Range(0, 5))
            .Then("always", (int x) => x == 2 ? throw new IOException($"attempt {Interlocked.Increment(ref attempts)}") : x,
                new StageOptions { Parallelism = 1, Errors = StageErrorPolicy.Retry(3) });

        var error = await Assert.ThrowsAsync<PipelineStageException>(() => pipeline.RunAsync());

        Assert.Equal(4, attempts);
        Assert.Equal("attempt 4", error.InnerException!.Message);
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task RunAsync_RetryExhaustedThenSkip_RecordsHowManyAttemptsWereMade()
    {
        var results = new List<int>();
        var result = await Pipeline.From(Enumerable.Range(0, 30))
            .Then("check", PipelineWork.FailOn13, new StageOptions { Parallelism = 2, Errors = StageErrorPolicy.Retry(2) with { SkipFailed = true } })
            .RunAsync(results.Add);

        var failure = Assert.Single(result.Failures);
        Assert.Equal(13, failure.Item);
        Assert.Equal(3, failure.Attempts);
        Assert.IsType<ArgumentOutOfRangeException>(failure.Exception);
        Assert.Equal(29, results.Count);
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task RunAsync_SourceThrows_FailsWithTheSourceNamed()
    {
        static IEnumerable<int> Broken()
        {
            yield return 1;
            throw new FileNotFoundException("input.csv is missing");
        }

        var error = await Assert.ThrowsAsync<PipelineStageException>(() =>
            Pipeline.From(Broken(), new PipelineOptions { Name = "import" }).Then("double", PipelineWork.Twice).RunAsync());

        Assert.Equal("source", error.Stage);
        Assert.Null(error.Item);
        Assert.IsType<FileNotFoundException>(error.InnerException);
        Assert.Equal("The source of pipeline 'import' failed, so the pipeline was cancelled: input.csv is missing", error.Message);
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task RunAsync_SinkThrows_FailsWithTheSinkNamedAndStopsEveryStage()
    {
        await using var executor = Executor.Threads(new ThreadExecutorOptions { CpuThreads = 2 });
        var pipeline = Pipeline.From(Enumerable.Range(0, 100_000), new PipelineOptions { Executor = executor })
            .Then("double", PipelineWork.Twice, new StageOptions { Parallelism = 2 });

        var error = await Assert.ThrowsAsync<PipelineStageException>(() =>
            pipeline.RunAsync(x => _ = x == 20 ? throw new InvalidDataException("disk full") : x));

        Assert.Equal("sink", error.Stage);
        Assert.Equal(20, error.Item);
        Assert.Equal(0, executor.Progress.Running);
        Assert.True(executor.Progress.Finished < 100_000);
    }

    [Theory(Timeout = TestWait.Hard)]
    [InlineData(true)]
    [InlineData(false)]
    public async Task RunAsync_ManyCheapItemsSomeFailing_EachFailureIsHandledOnItsOwn(bool keepOrder)
    {
        // Cheap items travel to a thread executor in batches; a failure inside a batch must still be that item's alone.
        var firstTries = new ConcurrentDictionary<int, bool>();
        var results = new List<int>();
        var result = await Pipeline.From(Enumerable.Range(0, 10_000))
            .Then("flaky", (int x) => x % 101 == 0 && firstTries.TryAdd(x, true) ? throw new IOException($"flaky {x}") : x,
                new StageOptions { Parallelism = 2, KeepOrder = keepOrder, Errors = StageErrorPolicy.Retry(1) })
            .Then("check", static (int x) => x % 97 == 0 ? throw new InvalidDataException($"bad {x}") : x,
                new StageOptions { Parallelism = 2, KeepOrder = keepOrder, Errors = StageErrorPolicy.Skip })
            .RunAsync(results.Add);

        var expected = Enumerable.Range(0, 10_000).Where(x => x % 97 != 0).ToList();
        Assert.Equal(expected, keepOrder ? results : results.Order().ToList());
        Assert.Equal(Enumerable.Range(0, 10_000).Where(x => x % 97 == 0), result.Failures.Select(f => (int)f.Item!).Order());
        Assert.All(result.Failures, f => Assert.Equal((1, $"bad {f.Item}"), (f.Attempts, f.Exception.Message)));
        Assert.Equal(Enumerable.Range(0, 10_000).Count(x => x % 101 == 0), result.Progress.Stages[0].Retries);
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task RunAsync_ExecutorShutDownMidRun_FailsWhateverThePolicyAndSaysWhy()
    {
        var executor = Executor.Threads(new ThreadExecutorOptions { Name = "short-lived", CpuThreads = 1 });
        var gate = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var running = Pipeline.From(Enumerable.Range(0, 100), new PipelineOptions { Name = "orphan", Executor = executor })
            .Then("held", async (int x) => x == 0 ? await gate.Task : x, new StageOptions { Parallelism = 1, Errors = StageErrorPolicy.Skip })
            .RunAsync();
        await TestWait.UntilAsync(() => executor.Progress.Running == 1, "the first item runs");

        var shutdown = executor.ShutdownAsync();
        gate.SetResult(0);
        var error = await Assert.ThrowsAsync<PipelineStageException>(() => running);
        await shutdown;

        Assert.Equal("held", error.Stage);
        Assert.IsType<InvalidOperationException>(error.InnerException);
        Assert.StartsWith("Stage 'held' of pipeline 'orphan' could not submit its work to the executor 'short-lived', so the pipeline was cancelled: The executor 'short-lived' has been shut down", error.Message, StringComparison.Ordinal);
    }
}
