using System.Diagnostics;
using Spindle.Pipelines;
using Spindle.Tests.Diagnostics;

namespace Spindle.Tests.Pipelines;

/// <summary>Each stage of a pipeline run is a span of the trace the run was started in, with what it passed on.</summary>
[Collection(SpanRecorder.Collection)]
public sealed class PipelineTracingTests
{
    [Fact(Timeout = TestWait.Hard)]
    public async Task RunAsync_InsideASpan_EachStageIsAChildSpanWithItsItems()
    {
        using var spans = new SpanRecorder();

        using var request = new Activity("request").SetIdFormat(ActivityIdFormat.W3C).Start();
        var results = new List<int>();
        await Pipeline.From(Enumerable.Range(0, 50))
            .Then("twice", PipelineWork.Twice, new StageOptions { Parallelism = 2 })
            .Then("square", PipelineWork.Square, new StageOptions { Parallelism = 2 })
            .RunAsync(results.Add);
        request.Stop();

        var stages = spans.Of(request.TraceId, "spindle.pipeline.stage");
        Assert.Equal(["square", "twice"], stages.Select(static s => (string)s.GetTagItem("spindle.stage")!).Order());
        Assert.All(stages, s => Assert.Equal(request.SpanId, s.ParentSpanId));
        Assert.All(stages, static s => Assert.Equal(50L, s.GetTagItem("spindle.items_out")));
        Assert.Equal(50, results.Count);
    }
}
