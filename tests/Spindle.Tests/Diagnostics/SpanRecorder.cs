using System.Collections.Concurrent;
using System.Diagnostics;
using Spindle.Diagnostics;

namespace Spindle.Tests.Diagnostics;

/// <summary>Records every span of the "Spindle" source that stops while it listens, as an OpenTelemetry exporter would see them.</summary>
internal sealed class SpanRecorder : IDisposable
{
    /// <summary>
    /// The test collection of every class that listens to the "Spindle" source: a listener makes every Submit start a
    /// span, so a test that checks what happens without one must not run beside them.
    /// </summary>
    public const string Collection = "Spindle spans";

    private readonly ConcurrentQueue<Activity> _stopped = new();
    private readonly ActivityListener _listener;

    public SpanRecorder()
    {
        _listener = new ActivityListener
        {
            ShouldListenTo = static source => source.Name == SpindleTelemetry.Name,
            Sample = static (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = _stopped.Enqueue,
        };
        ActivitySource.AddActivityListener(_listener);
    }

    /// <summary>The stopped spans of one trace with the given operation name; other tests' spans are in other traces.</summary>
    public List<Activity> Of(ActivityTraceId trace, string operation) =>
        [.. _stopped.Where(a => a.TraceId == trace && a.OperationName == operation)];

    public void Dispose() => _listener.Dispose();
}
