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
    private long _completed;

    [ThreadStatic]
    private static bool t_startingInline;

    /// <summary>The current limit; Auto's controller moves it between bounds as throughput responds.</summary>
    public int Concurrency { get; private set; } = concurrency;

    /// <summary>Tasks finished so far (the controller's throughput signal).</summary>
    public long Completed => Interlocked.Read(ref _completed);

    /// <summary>Tasks waiting for a slot.</summary>
    public int Waiting
    {
        get
        {
            lock (_lock)
            {
                return _pending.Count;
            }
        }
    }

    /// <summary>Changes the limit; a higher one starts waiting tasks at once, a lower one takes effect as tasks finish.</summary>
    public void SetConcurrency(int concurrency)
    {
        List<ThreadWorkItem> start = [];
        lock (_lock)
        {
            Concurrency = concurrency;
            while (_running < Concurrency && _pending.TryDequeue(out var next))
            {
                _running++;
                start.Add(next);
            }
        }

        foreach (var item in start)
        {
            ThreadPool.UnsafeQueueUserWorkItem(item, preferLocal: false);
        }
    }

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

        if (item.ContinuesOnExecutor && !t_startingInline && Thread.CurrentThread.IsThreadPoolThread)
        {
            // Spindle's own submitter (a pipeline stage, on a pool thread, often as its last task ends there) starts
            // the work up to its first wait, as a Dataflow block would, instead of a hop through the pool's queue:
            // the pool is where the work would run anyway. Never on another thread (a CPU lane thread must not run
            // I/O work), and one level only: work that completes synchronously and submits again goes through the
            // pool, so no chain of such tasks can deepen the stack.
            t_startingInline = true;
            try
            {
                item.Execute();
            }
            finally
            {
                t_startingInline = false;
            }

            return;
        }

        // Started on the pool rather than inline so that the submitter never runs the work's synchronous prefix.
        ThreadPool.UnsafeQueueUserWorkItem(item, preferLocal: false);
    }

    public void OnTaskDone()
    {
        ThreadWorkItem? next;
        lock (_lock)
        {
            _completed++;
            if (_running > Concurrency || !_pending.TryDequeue(out next))
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
