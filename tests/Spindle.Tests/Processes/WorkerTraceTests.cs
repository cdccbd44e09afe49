using System.Diagnostics;
using Spindle.Tests.Diagnostics;

namespace Spindle.Tests.Processes;

/// <summary>A task run in a worker process belongs to the caller's trace, there and in the spans the caller's listeners see.</summary>
[Collection(SpanRecorder.Collection)]
public sealed class WorkerTraceTests
{
    [Fact(Timeout = TestWait.Hard)]
    public async Task Submit_InsideARequestSpan_TheWorkerSeesTheTrace_AndItsRunIsAChildSpanWithItsWorker()
    {
        using var spans = new SpanRecorder();
        await using var executor = Executor.Processes(new ProcessExecutorOptions { MaxWorkers = 1, Output = static _ => { } });

        using var request = new Activity("request").SetIdFormat(ActivityIdFormat.W3C).Start();
        var (trace, pid) = await executor.Submit(static (int _) => (Activity.Current?.TraceId.ToString() ?? "none", Environment.ProcessId), 0);
        request.Stop();

        Assert.Equal(request.TraceId.ToString(), trace);
        var run = Assert.Single(spans.Of(request.TraceId, "spindle.worker.run"));
        Assert.Equal(pid, run.GetTagItem("spindle.worker.pid"));
        Assert.Equal(1, run.GetTagItem("spindle.worker.id"));
        Assert.True(run.Duration > TimeSpan.Zero);
        Assert.True(run.StartTimeUtc >= request.StartTimeUtc);
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task Submit_WithoutATrace_RunsWithNoActivityInTheWorker()
    {
        await using var executor = Executor.Processes(new ProcessExecutorOptions { MaxWorkers = 1, Output = static _ => { } });
        var previous = Activity.Current;
        Activity.Current = null;
        try
        {
            Assert.Equal("none", await executor.Submit(static (int _) => Activity.Current?.TraceId.ToString() ?? "none", 0));
        }
        finally
        {
            Activity.Current = previous;
        }
    }
}
