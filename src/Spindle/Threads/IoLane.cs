namespace Spindle.Threads;

/// <summary>
/// The I/O lane: async work on the shared ThreadPool with at most <see cref="Concurrency"/> tasks started
/// and not yet finished. A waiting task holds no thread, only a slot.
/// </summary>
internal sealed class IoLane(int concurrency) : ILane
{
    // Guards _pending and _running together: a finishing task must hand its slot to the next pending
    // task or give it back, atomically, or a task could wait forever with a slot free.
    private readonly Lock _lock = new();
    private readonly Queue<ThreadWorkItem> _pending = new();
    private int _running;

    public int Concurrency { get; } = concurrency;

    public void Enqueue(ThreadWorkItem item)
    {
        lock (_lock)
        {
            if (_running >= Concurrency)
            {
                _pending.Enqueue(item);
                return;
            }

            _running++;
        }

        // Started on the pool rather than inline so that the submitter never runs the work's synchronous prefix.
        ThreadPool.UnsafeQueueUserWorkItem(item, preferLocal: false);
    }

    public void OnTaskDone()
    {
        ThreadWorkItem? next;
        lock (_lock)
        {
            if (!_pending.TryDequeue(out next))
            {
                _running--;
                return;
            }
        }

        ThreadPool.UnsafeQueueUserWorkItem(next, preferLocal: false);
    }

    public void CancelPending(CancellationToken token)
    {
        ThreadWorkItem[] waiting;
        lock (_lock)
        {
            waiting = [.. _pending];
            _pending.Clear();
        }

        // Completing tasks runs no user code inline (continuations are asynchronous), but it is still
        // done outside the lock to keep the lock's hold short.
        foreach (var item in waiting)
        {
            item.TryCancelPending(token);
        }
    }

    public void Stop()
    {
    }
}
