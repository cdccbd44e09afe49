using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Spindle.Diagnostics;

/// <summary>
/// The Meter and ActivitySource named "Spindle". Instruments are observable: they read each live executor's
/// counters when a listener collects, so a task costs nothing extra when nobody listens.
/// </summary>
public static class SpindleTelemetry
{
    /// <summary>The name of Spindle's Meter and ActivitySource, for OpenTelemetry's AddMeter and AddSource.</summary>
    public const string Name = "Spindle";

    internal static readonly ActivitySource ActivitySource = new(Name);

    private static readonly Meter s_meter = new(Name);

    // Executors register themselves weakly so that one left undisposed can still be collected.
    private static readonly List<WeakReference<Executor>> s_executors = [];

    static SpindleTelemetry()
    {
        s_meter.CreateObservableUpDownCounter("spindle.tasks.queued", () => Measure(static p => p.Queued), "{task}", "Tasks accepted and waiting to run.");
        s_meter.CreateObservableUpDownCounter("spindle.tasks.running", () => Measure(static p => p.Running), "{task}", "Tasks running now.");
        s_meter.CreateObservableCounter("spindle.tasks.completed", () => Measure(static p => p.Completed), "{task}", "Tasks that returned a result.");
        s_meter.CreateObservableCounter("spindle.tasks.failed", () => Measure(static p => p.Failed), "{task}", "Tasks that failed.");
        s_meter.CreateObservableCounter("spindle.tasks.cancelled", () => Measure(static p => p.Cancelled), "{task}", "Tasks that were cancelled.");
    }

    /// <summary>
    /// Records the run of a task inside a worker process as a span of the caller's trace: made in this process, where
    /// listeners are, from the run time the worker measured, ending as its reply arrived.
    /// </summary>
    internal static void RecordWorkerRun(string? traceParent, string function, int workerId, int pid, long elapsedTicks, int items, bool failed)
    {
        if (traceParent is null || !ActivitySource.HasListeners() || !ActivityContext.TryParse(traceParent, null, out var parent))
        {
            return;
        }

        var end = DateTimeOffset.UtcNow;
        using var activity = ActivitySource.StartActivity("spindle.worker.run", ActivityKind.Internal, parent, startTime: end - TimeSpan.FromTicks(elapsedTicks));
        if (activity is null)
        {
            return;
        }

        activity.SetTag("spindle.function", function);
        activity.SetTag("spindle.worker.id", workerId);
        activity.SetTag("spindle.worker.pid", pid);
        activity.SetTag("spindle.run_time_ms", TimeSpan.FromTicks(elapsedTicks).TotalMilliseconds);
        if (items != 1)
        {
            activity.SetTag("spindle.items", items);
        }

        if (failed)
        {
            activity.SetStatus(ActivityStatusCode.Error);
        }

        activity.SetEndTime(end.UtcDateTime);
    }

    internal static void Register(Executor executor)
    {
        lock (s_executors)
        {
            s_executors.RemoveAll(static w => !w.TryGetTarget(out _));
            s_executors.Add(new WeakReference<Executor>(executor));
        }
    }

    internal static void Unregister(Executor executor)
    {
        lock (s_executors)
        {
            s_executors.RemoveAll(w => !w.TryGetTarget(out var e) || ReferenceEquals(e, executor));
        }
    }

    private static IEnumerable<Measurement<long>> Measure(Func<ExecutorProgress, long> select)
    {
        List<Executor> live = [];
        lock (s_executors)
        {
            foreach (var weak in s_executors)
            {
                if (weak.TryGetTarget(out var e))
                {
                    live.Add(e);
                }
            }
        }

        foreach (var e in live)
        {
            yield return new Measurement<long>(
                select(e.Progress),
                new KeyValuePair<string, object?>("spindle.executor", e.Name),
                new KeyValuePair<string, object?>("spindle.technique", e.Technique.ToString()));
        }
    }
}
