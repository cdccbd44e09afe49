namespace Spindle.Hosting;

/// <summary>
/// What the health check needs to know about an executor's workers, counted from its worker events: how many are
/// alive, and when they recently crashed. Events come from the executor's threads, so the counts are atomic or locked.
/// </summary>
internal sealed class WorkerCounts
{
    private readonly Queue<long> _crashes = new();
    private readonly TaskCompletionSource _allStarted = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _alive;
    private long _crashed;
    private long _timedOut;
    private long _recycled;

    public WorkerCounts(int configured)
    {
        Configured = configured;
    }

    public int Configured { get; }

    public int Alive => Math.Max(0, Volatile.Read(ref _alive));

    public long Crashed => Interlocked.Read(ref _crashed);

    public long TimedOut => Interlocked.Read(ref _timedOut);

    public long Recycled => Interlocked.Read(ref _recycled);

    /// <summary>Completes once as many workers have started as are configured.</summary>
    public Task AllStarted => _allStarted.Task;

    public void Observe(WorkerEvent e)
    {
        switch (e.Kind)
        {
            case WorkerEventKind.Started:
                if (Interlocked.Increment(ref _alive) >= Configured)
                {
                    _allStarted.TrySetResult();
                }

                break;
            case WorkerEventKind.Crashed:
                Interlocked.Decrement(ref _alive);
                Interlocked.Increment(ref _crashed);
                lock (_crashes)
                {
                    _crashes.Enqueue(Environment.TickCount64);
                }

                break;
            case WorkerEventKind.TimedOutKilled:
                Interlocked.Decrement(ref _alive);
                Interlocked.Increment(ref _timedOut);
                break;
            case WorkerEventKind.Exited:
                Interlocked.Decrement(ref _alive);
                break;
            case WorkerEventKind.Recycled:
                Interlocked.Increment(ref _recycled);
                break;
        }
    }

    /// <summary>Crashes within the last <paramref name="window"/>.</summary>
    public int CrashesWithin(TimeSpan window)
    {
        var since = Environment.TickCount64 - (long)window.TotalMilliseconds;
        lock (_crashes)
        {
            while (_crashes.TryPeek(out var at) && at < since)
            {
                _crashes.Dequeue();
            }

            return _crashes.Count;
        }
    }
}
