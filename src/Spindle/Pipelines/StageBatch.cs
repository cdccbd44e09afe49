using System.Diagnostics;

namespace Spindle.Pipelines;

/// <summary>
/// Runs a stage's work over several items as one task, keeping each item's own result or exception, so that a
/// thread executor pays one hand-off per batch rather than per item. Only for executors that run closures (threads):
/// work crossing a process boundary goes by reference, one item at a time.
/// </summary>
internal static class StageBatch
{
    public static BatchOutcome<TOut> Run<TIn, TOut>(Func<TIn, CancellationToken, TOut> work, TIn[] items, CancellationToken token)
    {
        var started = Stopwatch.GetTimestamp();
        var outcomes = new Outcome<TOut>[items.Length];
        for (var i = 0; i < items.Length; i++)
        {
            try
            {
                token.ThrowIfCancellationRequested();
                outcomes[i] = new Outcome<TOut>(work(items[i], token), null);
            }
#pragma warning disable CA1031 // Each item's exception is kept for the stage's error policy, exactly as a task of its own would keep it.
            catch (Exception e)
#pragma warning restore CA1031
            {
                outcomes[i] = new Outcome<TOut>(default!, e);
            }
        }

        return new BatchOutcome<TOut>(outcomes, Stopwatch.GetTimestamp() - started);
    }

    public static async Task<BatchOutcome<TOut>> RunAsync<TIn, TOut>(Func<TIn, CancellationToken, Task<TOut>> work, TIn[] items, CancellationToken token)
    {
        var started = Stopwatch.GetTimestamp();
        var outcomes = new Outcome<TOut>[items.Length];
        for (var i = 0; i < items.Length; i++)
        {
            try
            {
                token.ThrowIfCancellationRequested();
                outcomes[i] = new Outcome<TOut>(await work(items[i], token), null);
            }
#pragma warning disable CA1031 // As above.
            catch (Exception e)
#pragma warning restore CA1031
            {
                outcomes[i] = new Outcome<TOut>(default!, e);
            }
        }

        return new BatchOutcome<TOut>(outcomes, Stopwatch.GetTimestamp() - started);
    }
}
