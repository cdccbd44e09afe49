using Spindle.Pipelines;

namespace Spindle.Tests.Pipelines;

/// <summary>A stage on worker processes: a crash there costs its item, never the pipeline or the other items.</summary>
public sealed class PipelineProcessStageTests
{
    public static int CrashOn7(int x)
    {
        if (x == 7)
        {
            Environment.FailFast("item 7 crashes its worker");
        }

        return x * 10;
    }

    /// <summary>Runs in a worker: holds its item until the test creates the gate file.</summary>
    public static int WaitForGate(string gate)
    {
        while (!File.Exists(gate))
        {
            Thread.Sleep(5);
        }

        return 1;
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task ProcessStage_DefaultParallelism_KeepsTwoItemsPerWorkerInFlight()
    {
        var gate = Path.Combine(Path.GetTempPath(), "spindle-gate-" + Guid.NewGuid().ToString("N"));
        await using var processes = Executor.Processes(new ProcessExecutorOptions { MaxWorkers = 2, Output = static _ => { } });
        try
        {
            await using var run = Pipeline.From(Enumerable.Repeat(gate, 12))
                .Then("held", WaitForGate, new StageOptions { On = processes })
                .Start();
            await TestWait.UntilAsync(() => run.Progress.Stages[0].Running == 4, "four items are in flight on two workers");
            Assert.Equal(4, run.Progress.Stages[0].Parallelism);
            File.WriteAllText(gate, "");
            var total = 0;
            await foreach (var one in run)
            {
                total += one;
            }

            Assert.Equal(12, total);
        }
        finally
        {
            File.Delete(gate);
        }
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task ProcessStage_WorkerCrashes_SkipRecordsTheItemAndTheRestFlow()
    {
        await using var processes = Executor.Processes(new ProcessExecutorOptions { MaxWorkers = 2, Output = static _ => { } });
        var results = new List<int>();
        var result = await Pipeline.From(Enumerable.Range(0, 20))
            .Then("crashy", CrashOn7, new StageOptions { On = processes, Parallelism = 2, Errors = StageErrorPolicy.Skip })
            .RunAsync(results.Add);

        Assert.Equal(Enumerable.Range(0, 20).Where(x => x != 7).Select(x => x * 10), results);
        var failure = Assert.Single(result.Failures);
        Assert.Equal(7, failure.Item);
        var crash = Assert.IsType<WorkerCrashedException>(failure.Exception);
        Assert.Equal(6, crash.Signal);
        Assert.Equal(0, processes.Progress.Running);
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task ProcessStage_WorkerCrashes_FailFastSurfacesTheCrashAndLeavesNothingRunning()
    {
        await using var processes = Executor.Processes(new ProcessExecutorOptions { MaxWorkers = 2, Output = static _ => { } });
        var error = await Assert.ThrowsAsync<PipelineStageException>(() => Pipeline.From(Enumerable.Range(0, 1_000))
            .Then("crashy", CrashOn7, new StageOptions { On = processes, Parallelism = 2 })
            .RunAsync());

        Assert.Equal("crashy", error.Stage);
        Assert.IsType<WorkerCrashedException>(error.InnerException);
        Assert.Equal(0, processes.Progress.Running);
        Assert.Equal(0, processes.Progress.Queued);

        // The executor outlives the pipeline's failure and keeps serving.
        Assert.Equal(30, await processes.Submit(CrashOn7, 3));
    }
}
