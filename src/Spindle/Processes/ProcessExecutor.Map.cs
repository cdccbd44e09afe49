using System.Runtime.CompilerServices;
using Spindle.Internal;

namespace Spindle.Processes;

// Map on processes sends items in batches: one frame, one round trip and one wake-up per batch instead of per
// item (joblib's auto-batching idea). Batch size adapts to aim for a few milliseconds of work per batch.
internal sealed partial class ProcessExecutor
{
    private protected override IAsyncEnumerable<TResult> MapCore<TArg, TResult>(Work<TArg, TResult> work, IAsyncEnumerable<TArg> source, MapOptions options, CancellationToken cancellationToken) =>
        options.BatchSize == 1
            ? base.MapCore(work, source, options, cancellationToken)
            : MapBatched<TArg, TResult>(FunctionRef.For(work.Original, "Map"), source, options, cancellationToken);

    private protected override IAsyncEnumerable<(TArg Input, TResult Result)> MapUnorderedCore<TArg, TResult>(Work<TArg, TResult> work, IAsyncEnumerable<TArg> source, MapOptions options, CancellationToken cancellationToken) =>
        options.BatchSize == 1
            ? base.MapUnorderedCore(work, source, options, cancellationToken)
            : MapUnorderedBatched<TArg, TResult>(FunctionRef.For(work.Original, "MapUnordered"), source, options, cancellationToken);

    private async IAsyncEnumerable<TResult> MapBatched<TArg, TResult>(
        FunctionRef function, IAsyncEnumerable<TArg> source, MapOptions options, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var maxInFlight = options.MaxInFlight ?? DefaultMaxInFlight;
        var sizer = new BatchSizer(options.BatchSize, MaxWorkers, maxInFlight);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var window = new Queue<(int Count, Task<BatchOutcome<TResult>> Task)>();
        var itemsInFlight = 0;
        var enumerator = source.GetAsyncEnumerator(cts.Token);
        var more = true;
        try
        {
            while (true)
            {
                while (more && itemsInFlight < maxInFlight && window.Count < sizer.MaxBatchesInFlight)
                {
                    var batch = await NextBatch(enumerator, Math.Min(sizer.Next, maxInFlight - itemsInFlight));
                    if (batch.Length == 0)
                    {
                        more = false;
                        break;
                    }

                    window.Enqueue((batch.Length, SubmitBatch<TArg, TResult>(function, batch, options.Task, cts.Token)));
                    itemsInFlight += batch.Length;
                }

                if (window.Count == 0)
                {
                    yield break;
                }

                var (count, task) = window.Dequeue();
                var outcome = await task;
                itemsInFlight -= count;
                sizer.Observe(outcome.Elapsed, count);
                foreach (var result in outcome.Results)
                {
                    yield return result;
                }

                if (outcome.Error is not null)
                {
                    throw outcome.Error;
                }
            }
        }
        finally
        {
            await cts.CancelAsync();
            await enumerator.DisposeAsync();
            foreach (var (_, task) in window)
            {
                await Quietly(task);
            }
        }
    }

    private async IAsyncEnumerable<(TArg Input, TResult Result)> MapUnorderedBatched<TArg, TResult>(
        FunctionRef function, IAsyncEnumerable<TArg> source, MapOptions options, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var maxInFlight = options.MaxInFlight ?? DefaultMaxInFlight;
        var sizer = new BatchSizer(options.BatchSize, MaxWorkers, maxInFlight);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var window = new Dictionary<Task<BatchOutcome<TResult>>, TArg[]>();
        var itemsInFlight = 0;
        var enumerator = source.GetAsyncEnumerator(cts.Token);
        var more = true;
        try
        {
            while (true)
            {
                while (more && itemsInFlight < maxInFlight && window.Count < sizer.MaxBatchesInFlight)
                {
                    var batch = await NextBatch(enumerator, Math.Min(sizer.Next, maxInFlight - itemsInFlight));
                    if (batch.Length == 0)
                    {
                        more = false;
                        break;
                    }

                    window.Add(SubmitBatch<TArg, TResult>(function, batch, options.Task, cts.Token), batch);
                    itemsInFlight += batch.Length;
                }

                if (window.Count == 0)
                {
                    yield break;
                }

                // The window holds a few batches per worker, so WhenAny over it stays cheap.
                var task = await Task.WhenAny(window.Keys);
                var inputs = window[task];
                window.Remove(task);
                var outcome = await task;
                itemsInFlight -= inputs.Length;
                sizer.Observe(outcome.Elapsed, inputs.Length);
                for (var i = 0; i < outcome.Results.Length; i++)
                {
                    yield return (inputs[i], outcome.Results[i]);
                }

                if (outcome.Error is not null)
                {
                    throw outcome.Error;
                }
            }
        }
        finally
        {
            await cts.CancelAsync();
            await enumerator.DisposeAsync();
            foreach (var task in window.Keys)
            {
                await Quietly(task);
            }
        }
    }

    private static async Task<T[]> NextBatch<T>(IAsyncEnumerator<T> enumerator, int size)
    {
        var batch = new List<T>(Math.Min(size, 4096));
        while (batch.Count < size && await enumerator.MoveNextAsync())
        {
            batch.Add(enumerator.Current);
        }

        return [.. batch];
    }

    private static async Task Quietly(Task task)
    {
        try
        {
            await task;
        }
#pragma warning disable CA1031 // The Map already surfaced its own outcome; abandoned batches only need observing.
        catch
        {
        }
#pragma warning restore CA1031
    }
}
