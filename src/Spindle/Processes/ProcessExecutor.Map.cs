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
        using var feed = new BatchFeed<TArg, TResult>(this, function, source, options, options.MaxInFlight ?? DefaultMaxInFlight, cancellationToken);
        var window = new Queue<(int Count, Task<BatchOutcome<TResult>> Task)>();
        try
        {
            while (true)
            {
                while (await feed.NextAsync(window.Count) is { } sent)
                {
                    window.Enqueue((sent.Items.Length, sent.Task));
                }

                if (window.Count == 0)
                {
                    yield break;
                }

                var (count, task) = window.Dequeue();
                var outcome = await task;
                feed.Returned(outcome, count);
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
            await feed.StopAsync();
            foreach (var (_, task) in window)
            {
                await Quietly.Wait(task);
            }
        }
    }

    private async IAsyncEnumerable<(TArg Input, TResult Result)> MapUnorderedBatched<TArg, TResult>(
        FunctionRef function, IAsyncEnumerable<TArg> source, MapOptions options, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var feed = new BatchFeed<TArg, TResult>(this, function, source, options, options.MaxInFlight ?? DefaultMaxInFlight, cancellationToken);
        var window = new Dictionary<Task<BatchOutcome<TResult>>, TArg[]>();
        try
        {
            while (true)
            {
                while (await feed.NextAsync(window.Count) is { } sent)
                {
                    window.Add(sent.Task, sent.Items);
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
                feed.Returned(outcome, inputs.Length);
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
            await feed.StopAsync();
            foreach (var task in window.Keys)
            {
                await Quietly.Wait(task);
            }
        }
    }
}
