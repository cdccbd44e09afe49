using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using System.Threading.Channels;

namespace Spindle.Internal;

/// <summary>
/// What a technique plugs into <see cref="BatchedMap{TArg,TResult}"/>: how it runs a run of consecutive Map items as
/// one unit of work (a CPU lane work item, a task for a worker process).
/// </summary>
internal interface IMapBatchRunner<TArg, TResult>
{
    /// <summary>The executor the batches run on: a Map on one that is shut down fails when enumerated.</summary>
    Executor Owner { get; }

    /// <summary>The executor's stop token, which a single task would link in itself; none when the runner stops its batches itself.</summary>
    CancellationToken StopToken { get; }

    /// <summary>How many batches may be out at once, beside the Map's bound on items in flight.</summary>
    int MaxBatchesInFlight { get; }

    /// <summary>
    /// Starts <paramref name="items"/>[0..<paramref name="count"/>) as one unit and tells <paramref name="sizer"/> how
    /// long they took. The task completes with the results of the items that ran, in order; it faults or is cancelled
    /// only when the batch as a whole is (a worker that crashed, a Map that was cancelled).
    /// </summary>
    Task<MapBatchOutcome<TResult>> Run(TArg[] items, int count, BatchSizer sizer, CancellationToken cancellationToken);
}

/// <summary>
/// How a batch ended: <see cref="Results"/>[0..<see cref="Completed"/>) in input order, then the error of the item
/// that threw, if one did (the items after it did not run).
/// </summary>
internal sealed record MapBatchOutcome<TResult>(TResult[] Results, int Completed, ExceptionDispatchInfo? Error)
{
    /// <summary>Rethrows why the batch of <paramref name="count"/> items stopped before its end: an item's exception, unchanged, or cancellation.</summary>
    public void ThrowIfEnded(int count, CancellationToken token)
    {
        Error?.Throw();
        if (Completed < count)
        {
            throw new TaskCanceledException("The Map was cancelled before all of its items ran.", null, token);
        }
    }
}

/// <summary>
/// The Map engine for techniques that batch (the CPU lane, worker processes), ordered and unordered: consecutive
/// items go out together, sized by <see cref="BatchSizer"/> from measured item times, so tiny items pay one
/// per-batch cost for many while slow items still go one by one and spread over every thread or worker. Work that
/// is not batched (async work, per-item timeouts, the cluster) runs on <see cref="Executor"/>'s per-item engine.
/// </summary>
/// <remarks>
/// <code>
///   source ──pull (while fewer than MaxInFlight items are out)──► batch of k items ──► runner (lane thread / worker)
///                                                                                        │
///   consumer ◄── results: in input order (a FIFO window, head awaited) ◄─────────────────┘
///                         or as batches end (a channel the batches' continuations post to)
/// </code>
/// </remarks>
internal sealed class BatchedMap<TArg, TResult>
{
    private readonly IMapBatchRunner<TArg, TResult> _runner;
    private readonly BatchSizer _sizer;
    private readonly int _maxInFlight;

    // One token for everything this Map started: a failure, an early break by the consumer, or the caller's token
    // cancels the batches still in flight, so nothing outlives the enumeration.
    private readonly CancellationTokenSource _cts;
    private readonly IAsyncEnumerator<TArg> _enumerator;
    private int _itemsInFlight;
    private int _size;
    private bool _more = true;

    // A MoveNextAsync that did not complete at once is kept here rather than awaited while a batch is being filled:
    // the items already pulled go out first, and the results already in are handed back before the Map waits for
    // the source (_handBack), so a slow source never holds back work that could run.
    private ValueTask<bool> _move;
    private bool _moving;
    private bool _handBack;

    private BatchedMap(IMapBatchRunner<TArg, TResult> runner, BatchSizer sizer, IAsyncEnumerable<TArg> source, int maxInFlight, CancellationToken cancellationToken)
    {
        runner.Owner.ThrowIfShutdown();
        _runner = runner;
        _sizer = sizer;
        _maxInFlight = maxInFlight;
        _cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, runner.StopToken);
        _enumerator = source.GetAsyncEnumerator(_cts.Token);
        _size = sizer.Next();
    }

    /// <summary>Results in input order; the first failure in input order ends the Map, after the results before it.</summary>
    public static async IAsyncEnumerable<TResult> Ordered(
        IMapBatchRunner<TArg, TResult> runner, BatchSizer sizer, IAsyncEnumerable<TArg> source, int maxInFlight, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var map = new BatchedMap<TArg, TResult>(runner, sizer, source, maxInFlight, cancellationToken);
        var window = new Queue<Sent>();
        try
        {
            while (true)
            {
                while (await map.NextAsync(window.Count) is { } sent)
                {
                    window.Enqueue(sent);
                }

                // An empty window is refilled unless the source has ended.
                if (window.Count == 0)
                {
                    yield break;
                }

                var head = window.Dequeue();
                var outcome = await head.Task;
                for (var i = 0; i < outcome.Completed; i++)
                {
                    yield return outcome.Results[i];
                }

                outcome.ThrowIfEnded(head.Count, map._cts.Token);
                map._itemsInFlight -= head.Count;
            }
        }
        finally
        {
            await map.StopAsync(window.Select(s => s.Task));
        }
    }

    /// <summary>Each input with its result, as batches end; the first failure to end ends the Map.</summary>
    public static async IAsyncEnumerable<(TArg Input, TResult Result)> Unordered(
        IMapBatchRunner<TArg, TResult> runner, BatchSizer sizer, IAsyncEnumerable<TArg> source, int maxInFlight, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var map = new BatchedMap<TArg, TResult>(runner, sizer, source, maxInFlight, cancellationToken);

        // Ended batches are posted here by their continuations; it never holds more than the batches in flight.
        var ended = Channel.CreateUnbounded<Sent>(new UnboundedChannelOptions { SingleReader = true });
        var outstanding = new HashSet<Task<MapBatchOutcome<TResult>>>();
        try
        {
            while (true)
            {
                while (await map.NextAsync(outstanding.Count) is { } sent)
                {
                    outstanding.Add(sent.Task);
                    _ = sent.Task.ContinueWith(
                        static (_, state) => ((ChannelWriter<Sent>, Sent))state! is var (writer, sent) && writer.TryWrite(sent),
                        (ended.Writer, sent),
                        CancellationToken.None,
                        TaskContinuationOptions.ExecuteSynchronously,
                        TaskScheduler.Default);
                }

                if (outstanding.Count == 0)
                {
                    yield break;
                }

                var batch = await ended.Reader.ReadAsync(CancellationToken.None);
                outstanding.Remove(batch.Task);
                var outcome = await batch.Task;
                for (var i = 0; i < outcome.Completed; i++)
                {
                    yield return (batch.Items[i], outcome.Results[i]);
                }

                outcome.ThrowIfEnded(batch.Count, map._cts.Token);
                map._itemsInFlight -= batch.Count;
            }
        }
        finally
        {
            await map.StopAsync(outstanding);
        }
    }

    /// <summary>
    /// Pulls the next batch and starts it, if the bounds allow and the source has more; null when nothing more should
    /// go out now. With <paramref name="batchesOut"/> at 0, null means the source has ended.
    /// </summary>
    private async ValueTask<Sent?> NextAsync(int batchesOut)
    {
        if (!_more || _itemsInFlight >= _maxInFlight || batchesOut >= _runner.MaxBatchesInFlight)
        {
            return null;
        }

        // The source is waiting: what is in goes back to the consumer before the Map waits for it.
        if (_handBack && batchesOut > 0)
        {
            _handBack = false;
            return null;
        }

        // Wait for room for a whole batch rather than send slivers: a window refilled one item at a time would turn
        // every batch back into a single item.
        var room = _maxInFlight - _itemsInFlight;
        if (batchesOut > 0 && room < _size)
        {
            return null;
        }

        var items = new TArg[Math.Min(_size, room)];
        var count = 0;
        while (count < items.Length)
        {
            if (!_moving)
            {
#pragma warning disable CA2012 // Kept to be awaited exactly once, here or when the Map stops (_moving says which).
                _move = _enumerator.MoveNextAsync();
#pragma warning restore CA2012
                _moving = true;
            }

            if (count > 0 && !_move.IsCompleted)
            {
                break;
            }

            _moving = false;
            if (!await _move)
            {
                _more = false;
                break;
            }

            items[count++] = _enumerator.Current;
        }

        if (count == 0)
        {
            return null;
        }

        _itemsInFlight += count;
        var task = _runner.Run(items, count, _sizer, _cts.Token);
        _size = _sizer.Next();
        _handBack = _moving;
        return new Sent(items, count, task);
    }

    /// <summary>Cancels what is in flight, stops the source and waits, quietly, for the batches still out.</summary>
    private async ValueTask StopAsync(IEnumerable<Task<MapBatchOutcome<TResult>>> batchesOut)
    {
        await _cts.CancelAsync();

        if (_moving)
        {
            // The enumerator cannot be disposed with a MoveNextAsync outstanding; its token is cancelled now.
            _moving = false;
            await Quietly.Wait(_move);
        }

        await _enumerator.DisposeAsync();
        await Quietly.WaitAll(batchesOut);
        _cts.Dispose();
    }

    private sealed record Sent(TArg[] Items, int Count, Task<MapBatchOutcome<TResult>> Task);
}
