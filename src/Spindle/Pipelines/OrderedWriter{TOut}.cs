using System.Diagnostics.CodeAnalysis;

namespace Spindle.Pipelines;

/// <summary>
/// An ordered stage's writer: every take (an item or a batch) is queued in take order, its results are marked ready
/// as they end, and whoever finds the head ready writes every ready entry at the head, in order. Only one writer (the
/// holder of the flush) writes at a time, so nobody waits for a lock while another writes.
/// </summary>
/// <remarks>
/// An entry holds its items' places in the order window (<see cref="WindowPlaces"/>) until it is written, which bounds
/// how far the stage runs ahead of its slowest item. A loop flushes with <see cref="FlushAsync"/>, waiting for room;
/// a batch task on the executor's thread flushes with <see cref="TryFlush"/>, which never waits, and hands a held flush
/// back to its loop when the output is full.
/// </remarks>
internal sealed class OrderedWriter<TOut>(StageWriter<TOut> writer, WindowPlaces window)
{
    // Items taken and not yet written, in take order. Guarded by its own lock, which also guards each entry's readiness
    // and _flushing, so that a result marked ready is always seen by a flusher. Only the flusher (whoever set
    // _flushing) writes the head's results and dequeues it.
    private readonly Queue<Entry> _order = new();
    private bool _flushing;

    /// <summary>Queues an entry for what was just taken; called under the stage's take lock, so entries are in take order.</summary>
    public Entry Enqueue(int taken)
    {
        var entry = new Entry { Taken = taken };
        lock (_order)
        {
            _order.Enqueue(entry);
        }

        return entry;
    }

    /// <summary>Marks an entry's results ready; true if the caller now holds the flush and must flush.</summary>
    public bool MarkReady(Entry entry, StageResults<TOut> results)
    {
        lock (_order)
        {
            entry.Results = results;
            entry.Ready = true;
            if (_flushing)
            {
                // The flusher checks the head again after each entry, so it will write this one in its turn.
                return false;
            }

            _flushing = true;
            return true;
        }
    }

    /// <summary>Marks an entry's results ready and, unless another is already at it, writes every ready entry at the head.</summary>
    public Task FlushAsync(Entry entry, StageResults<TOut> results, CancellationToken token) =>
        MarkReady(entry, results) ? FlushOwnedAsync(token) : Task.CompletedTask;

    /// <summary>Writes every ready entry at the head, waiting for room; called by the holder of the flush.</summary>
    public async Task FlushOwnedAsync(CancellationToken token)
    {
        while (!TryFlush(token, out var head))
        {
            // The output is full. The flush is held, so the head stays where it is: wait for room for its rest.
            try
            {
                await writer.WriteRestAsync(head.Results, head.Written, token);
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                // The run is stopping; the remaining entries are dropped as the loop goes on.
            }

            Remove(head);
        }
    }

    /// <summary>
    /// Holding the flush: writes ready entries at the head while the output has room, and gives the flush up when the
    /// head is not ready. False: the output is full, <paramref name="head"/> is partly written, and the flush is
    /// still held. Never waits.
    /// </summary>
    public bool TryFlush(CancellationToken token, [NotNullWhen(false)] out Entry? head)
    {
        while (true)
        {
            lock (_order)
            {
                if (_order.Count == 0 || !_order.Peek().Ready)
                {
                    _flushing = false;
                    head = null;
                    return true;
                }

                head = _order.Peek();
            }

            // A stopping run passes nothing on: the entry is dropped, and the order queue moves past it.
            if (!token.IsCancellationRequested)
            {
                head.Written += writer.TryWrite(head.Results, head.Written);
                if (head.Written < head.Results.Count)
                {
                    return false;
                }
            }

            Remove(head);
        }
    }

    /// <summary>Dequeues the written head and gives its window places back.</summary>
    private void Remove(Entry head)
    {
        // Dequeued only once written, so that a task that flushed part of it and a loop that finishes it agree.
        lock (_order)
        {
            _order.Dequeue();
        }

        window.Release(head.Taken);
    }

    /// <summary>An ordered take (an item or a batch) between take and write.</summary>
    public sealed class Entry
    {
        public bool Ready { get; set; }

        /// <summary>How many items were taken, each holding a window place until the entry is written.</summary>
        public int Taken { get; init; }

        public StageResults<TOut> Results { get; set; }

        /// <summary>How many of the results the flusher has written; only the holder of the flush touches it.</summary>
        public int Written { get; set; }
    }
}
