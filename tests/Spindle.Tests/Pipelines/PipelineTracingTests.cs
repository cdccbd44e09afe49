using System.Collections.Concurrent;
using System.Diagnostics;
using Spindle.Diagnostics;
using Spindle.Pipelines;

namespace Spindle.Tests.Pipelines;

/// <summary>Each stage of a pipeline run is a span of the trace the run was started in, with what it passed on.</summary>
public sealed class PipelineTracingTests
{
    [Fact(Timeout = TestWait.Hard)]
    public async Task RunAsync_InsideASpan_EachStageIsAChildSpanWithItsItems()
    {
        var stopped = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = static source => source.Name == SpindleTelemetry.Name,
            Sample = static (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = stopped.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);

        using var request = new Activity("request").SetIdFormat(ActivityIdFormat.W3C).Start();
        var results = new List<int>();
        await Pipeline.From(Enumerable.Range(0, 50))
            .Then("twice", PipelineWork.Twice, new StageOptions { Parallelism = 2 })
            .Then("square", PipelineWork.Square, new StageOptions { Parallelism = 2 })
            .RunAsync(results.Add);
        request.Stop();

        var stages = stopped.Where(a => a.OperationName == "spindle.pipeline.stage" && a.TraceId == request.TraceId).ToList();
        Assert.Equal(["square", "twice"], stages.Select(static s => (string)s.GetTagItem("spindle.stage")!).Order());
        Assert.All(stages, s => Assert.Equal(request.SpanId, s.ParentSpanId));
        Assert.All(stages, static s => Assert.Equal(50L, s.GetTagItem("spindle.items_out")));
        Assert.Equal(50, results.Count);
    }
}
