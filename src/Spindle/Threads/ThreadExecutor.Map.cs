using System.Runtime.CompilerServices;
using Spindle.Internal;

namespace Spindle.Threads;

// Map for synchronous work on the CPU lane, in batches. The general engine (Executor.MapOrdered) makes one task
// per item, which is right for async work and slow items but costs several hundred nanoseconds per item; for
// tiny items that cost is the whole run. Here consecutive items go to a lane thread together, sized by
// MapBatchSizer from measured item times, so tiny items approach the cost of Parallel.ForEachAsync while
// slow items still go one by one and spread over every thread.
//
//   source ──pull (only while fewer than MaxInFlight items are out)──► batch of k items ──► CPU lane queue
//                                                                                             │ one lane thread
//   consumer ◄── results in input order ◄── window of batches (FIFO), head awaited ◄──────────┘ runs the k items
internal sealed partial class ThreadExecutor
{
    private protected override IAsyncEnumerable<TResult> MapCore<TArg, TResult>(Work<TArg, TResult> work, IAsyncEnumerable<TArg> source, MapOptions options, CancellationToken cancellationToken)
    {
        // Only sync work bound for the CPU lane, without a per-item timeout, is batched: async work waits
        // rather than computes, a timeout is per task, and other kinds go elsewhere.
        var batchable = work.Sync is not null
            && options.Task.Kind is null or WorkKind.CpuBound
            && options.Task.Timeout is null;
        return batchable
            ? MapBatched(work.Sync!, source, options, cancellationToken)
            : base.MapCore(work, source, options, cancellationToken);
    }

    private async IAsyncEnumerable<TResult> MapBatched<TArg, TResult>(
        Func<TArg, CancellationToken, TResult> work, IAsyncEnumerable<TArg> source, MapOptions options, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ThrowIfShutdown();
        var maxInFlight = options.MaxInFlight ?? DefaultMaxInFlight;

        // Listeners of ProgressChanged expect an event per item; batches of one keep that promise.
        var sizer = new MapBatchSizer(Tracker.HasListeners ? 1 : options.BatchSize, maxInFlight, _cpu.Concurrency);

        // One token for everything this Map started, as in the general engine; it also carries the executor's
        // stop token, which a single task would link in itself.
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, StopToken);
        var window = new Queue<ThreadBatch<TArg, TResult>>();
        var inFlight = 0;
        var enumerator = source.GetAsyncEnumerator(cts.Token);
        var more = true;

        // A MoveNextAsync that did not complete at once is kept here rather than awaited while a batch is being
        // filled: the items already pulled go out first, so a slow source never holds back work that could run.
        var size = sizer.Next();
        var move = default(ValueTask<bool>);
        var moving = false;
        try
        {
            while (true)
            {
                // Pull only while the window has room (counted in items): this keeps an endless source in constant memory.
                while (more && inFlight < maxInFlight)
                {
                    // Wait for room for a whole batch rather than send slivers: a window refilled one item at a
                    // time would turn every batch back into a single task.
                    if (window.Count > 0 && maxInFlight - inFlight < size)
                    {
                        break;
                    }

                    var args = new TArg[Math.Min(size, maxInFlight - inFlight)];
                    var count = 0;
                    while (count < args.Length)
                    {
                        if (!moving)
                        {
                            move = enumerator.MoveNextAsync();
                            moving = true;
                        }

                        if (count > 0 && !move.IsCompleted)
                        {
                            break;
                        }

                        moving = false;
                        if (!await move)
                        {
                            more = false;
                            break;
                        }

                        args[count++] = enumerator.Current;
                    }

                    if (count == 0)
                    {
                        break;
                    }

                    window.Enqueue(SubmitBatch(work, args, count, sizer, cts.Token));
                    inFlight += count;
                    size = sizer.Next();

                    if (moving)
                    {
                        // The source is waiting: hand back what is ready before waiting for it.
                        break;
                    }
                }

                if (window.Count == 0)
                {
                    if (!more)
                    {
                        yield break;
                    }

                    continue;
                }

                var head = window.Dequeue();
                await head.Task;

                // Results before a failure are delivered first: the first failure in input order wins.
                for (var i = 0; i < head.Completed; i++)
                {
                    yield return head.Results[i];
                }

                head.ThrowIfEnded();
                inFlight -= head.Count;
            }
        }
        finally
        {
            await cts.CancelAsync();
            if (moving)
            {
                // The enumerator cannot be disposed with a MoveNextAsync outstanding; its token is cancelled now.
                await IgnoreFailure(move);
            }

            await enumerator.DisposeAsync();

            // Batches left in the window see the cancelled token and end at once, or are already running an item.
            foreach (var batch in window)
            {
                await batch.Task;
            }
        }
    }

    private ThreadBatch<TArg, TResult> SubmitBatch<TArg, TResult>(Func<TArg, CancellationToken, TResult> work, TArg[] args, int count, MapBatchSizer sizer, CancellationToken token)
    {
        // A batch is one unit of accepted work for shutdown, and count queued tasks for progress.
        AcceptTask();
        Tracker.Queued(count);
        var batch = new ThreadBatch<TArg, TResult>(this, _cpu, work, args, count, sizer, token);
        _cpu.Enqueue(batch);
        return batch;
    }

    private static async Task IgnoreFailure(ValueTask<bool> move)
    {
        try
        {
            await move;
        }
#pragma warning disable CA1031 // The Map already has its outcome; the abandoned pull only needs finishing.
        catch
        {
        }
#pragma warning restore CA1031
    }
}
