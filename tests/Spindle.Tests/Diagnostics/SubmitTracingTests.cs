using System.Collections.Concurrent;
using System.Diagnostics;
using Spindle.Diagnostics;
using Spindle.Tests.Processes;

namespace Spindle.Tests.Diagnostics;

/// <summary>The "Spindle" ActivitySource: a span per Submit and per Map batch, child of the caller's span.</summary>
[Collection(SpanRecorder.Collection)]
public sealed class SubmitTracingTests : IDisposable
{
    private static readonly ActivitySource s_caller = new("Spindle.Tests.Caller");
    private readonly ConcurrentQueue<Activity> _stopped = new();
    private readonly ActivityListener _listener;

    public SubmitTracingTests()
    {
        _listener = new ActivityListener
        {
            ShouldListenTo = static s => s.Name is SpindleTelemetry.Name or "Spindle.Tests.Caller",
            Sample = static (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = _stopped.Enqueue,
        };
        ActivitySource.AddActivityListener(_listener);
    }

    public void Dispose() => _listener.Dispose();

    [Fact(Timeout = TestWait.Hard)]
    public async Task Submit_OnThreads_SpanIsChildOfTheCallersSpan_AndTheCallerKeepsItsSpan()
    {
        await using var executor = Executor.Threads(new ThreadExecutorOptions { Name = "traced-threads", CpuThreads = 1, IoConcurrency = 2 });
        using var request = s_caller.StartActivity("request")!;

        Assert.Equal(4, await executor.Submit(static (int x) => x * x, 2));
        await executor.ShutdownAsync();

        Assert.Same(request, Activity.Current);
        var span = await SpanAsync("traced-threads", "spindle.submit");
        Assert.Equal(request.SpanId, span.ParentSpanId);
        Assert.Equal(request.TraceId, span.TraceId);
        Assert.Equal("Threads", span.GetTagItem("spindle.technique"));
        Assert.Equal(ActivityStatusCode.Unset, span.Status);
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task Submit_OnProcesses_FailedTaskEndsItsSpanWithAnError()
    {
        await using var executor = Executor.Processes(new ProcessExecutorOptions { Name = "traced-processes", MaxWorkers = 1, Output = static _ => { } });
        using var request = s_caller.StartActivity("request")!;

        await Assert.ThrowsAsync<WorkerCrashedException>(() => executor.Submit(ProcessWork.ExitAfterStderr, 3));

        var span = await SpanAsync("traced-processes", "spindle.submit");
        Assert.Equal(request.SpanId, span.ParentSpanId);
        Assert.Equal(ActivityStatusCode.Error, span.Status);
        Assert.Equal("Processes", span.GetTagItem("spindle.technique"));
        Assert.Equal(typeof(WorkerCrashedException).FullName, span.GetTagItem("error.type"));
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task Map_OnProcesses_OneSpanPerBatch_CountingItsItems()
    {
        await using var executor = Executor.Processes(new ProcessExecutorOptions { Name = "traced-map", MaxWorkers = 1, Output = static _ => { } });
        using var request = s_caller.StartActivity("request")!;

        var results = new List<int>();
        await foreach (var r in executor.Map(ContractWorkAlias.Square, Enumerable.Range(0, 100), new MapOptions { BatchSize = 25 }))
        {
            results.Add(r);
        }

        Assert.Equal(100, results.Count);
        await TestWait.UntilAsync(() => Spans("traced-map", "spindle.map.batch").Count() == 4, "four batch spans have ended");
        var batches = Spans("traced-map", "spindle.map.batch").ToArray();
        Assert.All(batches, b => Assert.Equal(request.SpanId, b.ParentSpanId));
        Assert.All(batches, b => Assert.Equal(25, b.GetTagItem("spindle.items")));
    }

    private IEnumerable<Activity> Spans(string executor, string operation) =>
        _stopped.Where(a => a.OperationName == operation && (string?)a.GetTagItem("spindle.executor") == executor);

    private async Task<Activity> SpanAsync(string executor, string operation)
    {
        await TestWait.UntilAsync(() => Spans(executor, operation).Any(), $"a {operation} span of '{executor}' has ended");
        return Assert.Single(Spans(executor, operation));
    }
}
