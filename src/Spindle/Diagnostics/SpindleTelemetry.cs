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
    /// Starts the span of one submitted task (or Map batch) on the caller's side, as a child of the caller's current
    /// span; null, at no cost, when nobody listens. Activity.Current is left as the caller had it.
    /// </summary>
    internal static Activity? StartTask(Executor executor, string operation, string function, int items)
    {
        if (!ActivitySource.HasListeners())
        {
            return null;
        }

        var previous = Activity.Current;
        var activity = ActivitySource.StartActivity(operation, ActivityKind.Internal);
        if (activity is null)
        {
            return null;
        }

        activity.SetTag("spindle.executor", executor.Name);
        activity.SetTag("spindle.technique", executor.Technique.ToString());
        activity.SetTag("spindle.function", function);
        if (items != 1)
        {
            activity.SetTag("spindle.items", items);
        }

        // The work queued inside the span captures it as its parent (its execution context); the caller, who gets
        // a task back at once, keeps its own span current.
        Activity.Current = previous;
        return activity;
    }

    /// <summary>Ends a task's span when the task ends, with its outcome as the span's status.</summary>
    internal static void EndWith(Activity? activity, Task task)
    {
        if (activity is null)
        {
            return;
        }

        task.ContinueWith(
            static (t, state) =>
            {
                var span = (Activity)state!;
                if (t.IsFaulted)
                {
                    var error = t.Exception!.InnerException!;
                    span.SetStatus(ActivityStatusCode.Error, error.Message);
                    span.SetTag("error.type", error.GetType().FullName);
                }
                else if (t.IsCanceled)
                {
                    span.SetStatus(ActivityStatusCode.Error, "cancelled");
                    span.SetTag("error.type", "cancelled");
                }

                span.Dispose();
            },
            activity,
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
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
