namespace Spindle.Diagnostics;

/// <summary>
/// Lock-free task counters of one executor. The executor's <see cref="Executor.Progress"/>, its
/// ProgressChanged event and the Metrics instruments all read these same numbers.
/// </summary>
internal sealed class ProgressTracker
{
    private long _queued;
    private long _running;
    private long _completed;
    private long _failed;
    private long _cancelled;

    public event Action? Changed;

    /// <summary>Tells listeners that counts changed elsewhere (in the executors an Auto executor is made of).</summary>
    public void NotifyChanged() => Changed?.Invoke();

    /// <summary>Whether anyone listens to <see cref="Changed"/>; batching work would coarsen the events they see.</summary>
    public bool HasListeners => Changed is not null;

    public ExecutorProgress Snapshot() => new(
        Volatile.Read(ref _queued),
        Volatile.Read(ref _running),
        Volatile.Read(ref _completed),
        Volatile.Read(ref _failed),
        Volatile.Read(ref _cancelled));

    public void Queued(int count = 1)
    {
        Interlocked.Add(ref _queued, count);
        Changed?.Invoke();
    }

    public void Started(int count = 1)
    {
        Interlocked.Add(ref _queued, -count);
        Interlocked.Add(ref _running, count);
        Changed?.Invoke();
    }

    /// <summary>Moves a task back from running to queued (its worker died and it will run again).</summary>
    public void Requeued(int count = 1)
    {
        Interlocked.Add(ref _running, -count);
        Interlocked.Add(ref _queued, count);
        Changed?.Invoke();
    }

    /// <summary>
    /// Counts the end of a batch of <paramref name="count"/> queued tasks, of which one was counted running if
    /// <paramref name="wasRunning"/>; outcomes are given as counts.
    /// </summary>
    public void FinishedBatch(bool wasRunning, int count, int completed, int failed, int cancelled)
    {
        if (wasRunning)
        {
            Interlocked.Decrement(ref _running);
            count--;
        }

        Interlocked.Add(ref _queued, -count);
        Interlocked.Add(ref _completed, completed);
        Interlocked.Add(ref _failed, failed);
        Interlocked.Add(ref _cancelled, cancelled);
        Changed?.Invoke();
    }

    public void Finished(bool wasRunning, TaskOutcome outcome, int count = 1)
    {
        Interlocked.Add(ref wasRunning ? ref _running : ref _queued, -count);
        switch (outcome)
        {
            case TaskOutcome.Completed: Interlocked.Add(ref _completed, count); break;
            case TaskOutcome.Failed: Interlocked.Add(ref _failed, count); break;
            default: Interlocked.Add(ref _cancelled, count); break;
        }

        Changed?.Invoke();
    }
}
