using System.Diagnostics.Metrics;
using Spindle.Diagnostics;

namespace Spindle.Pipelines;

/// <summary>
/// Per-stage instruments on the "Spindle" meter, tagged with the pipeline and stage names. Like the executor
/// instruments they are observable: they read each live run's counters only when a listener collects.
/// </summary>
internal static class PipelineTelemetry
{
    // A second Meter instance with the same name: listeners and OpenTelemetry select meters by name, so these
    // instruments appear next to the executor ones without this file reaching into SpindleTelemetry.
    private static readonly Meter s_meter = new(SpindleTelemetry.Name);

    // Runs register weakly so that one abandoned mid-way can still be collected.
    private static readonly List<WeakReference<PipelineRunState>> s_runs = [];

    static PipelineTelemetry()
    {
        s_meter.CreateObservableCounter("spindle.pipeline.stage.items_in", () => Measure(static s => s.ItemsIn), "{item}", "Items a stage has taken from its input buffer.");
        s_meter.CreateObservableCounter("spindle.pipeline.stage.items_out", () => Measure(static s => s.ItemsOut), "{item}", "Items a stage has passed on.");
        s_meter.CreateObservableCounter("spindle.pipeline.stage.items_failed", () => Measure(static s => s.ItemsFailed), "{item}", "Items whose work failed every attempt.");
        s_meter.CreateObservableUpDownCounter("spindle.pipeline.stage.buffered", () => Measure(static s => (long)s.Buffered), "{item}", "Items waiting in a stage's input buffer.");
        s_meter.CreateObservableGauge("spindle.pipeline.stage.buffer_fill", () => Measure(static s => s.BufferFill), "1", "How full a stage's input buffer is, from 0 to 1.");
        s_meter.CreateObservableGauge("spindle.pipeline.stage.busy", () => Measure(static s => s.BusyShare), "1", "The share of a stage's parallelism busy since its run started, from 0 to 1.");
        s_meter.CreateObservableGauge("spindle.pipeline.stage.throughput", () => Measure(static s => s.Throughput), "{item}/s", "Items a stage passed on per second since its run started.");
    }

    public static void Register(PipelineRunState run)
    {
        lock (s_runs)
        {
            s_runs.RemoveAll(static w => !w.TryGetTarget(out _));
            s_runs.Add(new WeakReference<PipelineRunState>(run));
        }
    }

    public static void Unregister(PipelineRunState run)
    {
        lock (s_runs)
        {
            s_runs.RemoveAll(w => !w.TryGetTarget(out var r) || ReferenceEquals(r, run));
        }
    }

    private static IEnumerable<Measurement<T>> Measure<T>(Func<StageProgress, T> select)
        where T : struct
    {
        List<PipelineRunState> live = [];
        lock (s_runs)
        {
            foreach (var weak in s_runs)
            {
                if (weak.TryGetTarget(out var r))
                {
                    live.Add(r);
                }
            }
        }

        foreach (var run in live)
        {
            foreach (var stage in run.Snapshot().Stages)
            {
                yield return new Measurement<T>(
                    select(stage),
                    new KeyValuePair<string, object?>("spindle.pipeline", run.Name),
                    new KeyValuePair<string, object?>("spindle.stage", stage.Name));
            }
        }
    }
}
