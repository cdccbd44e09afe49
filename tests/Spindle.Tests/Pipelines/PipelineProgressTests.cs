using System.Diagnostics.Metrics;
using Spindle.Pipelines;

namespace Spindle.Tests.Pipelines;

public sealed class PipelineProgressTests
{
    [Fact(Timeout = TestWait.Hard)]
    public async Task RunAsync_Finished_CountsItemsInAndOutOfEveryStage()
    {
        var result = await Pipeline.From(Enumerable.Range(0, 300), new PipelineOptions { Name = "counts" })
            .Then("echo", PipelineWork.Echo, new StageOptions { Parallelism = 4 })
            .Then("check", PipelineWork.FailOnMultiplesOf5, new StageOptions { Parallelism = 2, Errors = StageErrorPolicy.Skip })
            .RunAsync();

        var progress = result.Progress;
        Assert.Equal("counts", progress.Pipeline);
        Assert.Equal(300, progress.SourcePulled);
        Assert.Equal(["echo", "check"], progress.Stages.Select(s => s.Name));
        Assert.Equal((300, 300), (progress.Stages[0].ItemsIn, progress.Stages[0].ItemsOut));
        Assert.Equal((300, 240, 60), (progress.Stages[1].ItemsIn, progress.Stages[1].ItemsOut, progress.Stages[1].ItemsFailed));
        Assert.All(progress.Stages, s => Assert.Equal((0, 0), (s.Running, s.Buffered)));
        Assert.All(progress.Stages, s => Assert.InRange(s.BusyShare, 0, 1));
        Assert.All(progress.Stages, s => Assert.True(s.Throughput > 0));
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task RunAsync_WithoutASinkOrStages_PullsTheWholeSource()
    {
        // Nobody reads the results of RunAsync(), so its last buffer (here the source's own) drops them: the run must
        // still pull every item and end, however small the buffer.
        var result = await Pipeline.From(Enumerable.Range(0, 1_000), new PipelineOptions { Name = "drain", BufferCapacity = 1 }).RunAsync();

        Assert.Equal(1_000, result.Progress.SourcePulled);
        Assert.Equal(0, result.Progress.ResultsBuffered);
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task ProgressChanged_RaisedWhileRunningAndOnceAtTheEnd()
    {
        var gate = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var events = new List<PipelineProgress>();
        var senders = new List<object?>();
        var run = Pipeline.From(Enumerable.Range(0, 10), new PipelineOptions { ProgressInterval = TimeSpan.FromMilliseconds(10) })
            .Then("hold", async (int x) => await gate.Task + x, new StageOptions { Parallelism = 2 })
            .Start();
        run.ProgressChanged += (sender, p) =>
        {
            // Raised on a timer thread: record, and assert on the test's own thread below.
            lock (events)
            {
                events.Add(p);
                senders.Add(sender);
            }
        };

        await TestWait.UntilAsync(() => { lock (events) { return events.Count >= 2; } }, "two progress events arrive while the stage is held");
        gate.SetResult(0);
        var results = new List<int>();
        await foreach (var x in run)
        {
            results.Add(x);
        }

        PipelineProgress last;
        lock (events)
        {
            last = events[^1];
        }

        Assert.Equal(10, last.Stages[0].ItemsOut);
        Assert.Equal(Enumerable.Range(0, 10), results);
        Assert.All(senders, sender => Assert.Same(run, sender));
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task Bottleneck_SlowStage_IsTheBusiestOne()
    {
        var result = await Pipeline.From(Enumerable.Range(0, 20))
            .Then("fast", PipelineWork.Twice, new StageOptions { Parallelism = 2 })
            .Then("slow", static async (int x, CancellationToken token) =>
            {
                await Task.Delay(20, token);
                return x;
            }, new StageOptions { Parallelism = 1 })
            .RunAsync();

        // Relative, not absolute: on a loaded machine the time between the slow stage's items is not all its own.
        Assert.Equal("slow", result.Progress.Bottleneck?.Name);
        Assert.True(result.Progress.Stages[1].BusyShare > 2 * result.Progress.Stages[0].BusyShare,
            $"busy shares were fast {result.Progress.Stages[0].BusyShare:0.00}, slow {result.Progress.Stages[1].BusyShare:0.00}");
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task Metrics_LiveRun_PublishesStageFiguresTaggedByPipelineAndStage()
    {
        var name = $"metrics-{Guid.NewGuid():N}";
        var itemsOut = new Dictionary<string, long>();
        var buffered = new Dictionary<string, long>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "Spindle" && instrument.Name.StartsWith("spindle.pipeline.", StringComparison.Ordinal))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            string? pipeline = null, stage = null;
            foreach (var tag in tags)
            {
                if (tag.Key == "spindle.pipeline")
                {
                    pipeline = tag.Value as string;
                }
                else if (tag.Key == "spindle.stage")
                {
                    stage = tag.Value as string;
                }
            }

            if (pipeline == name && stage is not null)
            {
                var target = instrument.Name == "spindle.pipeline.stage.items_out" ? itemsOut : instrument.Name == "spindle.pipeline.stage.buffered" ? buffered : null;
                target?[stage] = value;
            }
        });
        listener.Start();

        var gate = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var run = Pipeline.From(Enumerable.Range(0, 10), new PipelineOptions { Name = name })
            .Then("double", PipelineWork.Twice, new StageOptions { Parallelism = 2 })
            .Then("hold", async (int x) => await gate.Task + x, new StageOptions { Parallelism = 1 })
            .Start();
        // Both: the first stage passing on its last item and the held stage taking its first are separate events.
        await TestWait.UntilAsync(() => run.Progress.Stages[0].ItemsOut == 10 && run.Progress.Stages[1].Running == 1, "the first stage has passed on every item and the held stage holds one");

        listener.RecordObservableInstruments();
        gate.SetResult(0);
        await foreach (var _ in run)
        {
        }

        Assert.Equal(10, itemsOut["double"]);
        Assert.Equal(0, itemsOut["hold"]);
        Assert.Equal(9, buffered["hold"]);
    }
}
