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

    /// <summary>Whether anyone listens to <see cref="Changed"/>; batching work would coarsen the events they see.</summary>
    public bool HasListeners => Changed is not null;

    public ExecutorProgress Snapshot() => new(
        Volatile.Read(ref _queued),
        Volatile.Read(ref _running),
        Volatile.Read(ref _completed),
        Volatile.Read(ref _failed),
        Volatile.Read(ref _cancelled));

    public void Queued()
    {
        Interlocked.Increment(ref _queued);
        Changed?.Invoke();
    }

    /// <summary>Counts <paramref name="count"/> tasks queued at once (a batch of a thread Map).</summary>
    public void Queued(int count)
    {
        Interlocked.Add(ref _queued, count);
        Changed?.Invoke();
    }

    public void Started()
    {
        Interlocked.Decrement(ref _queued);
        Interlocked.Increment(ref _running);
        Changed?.Invoke();
    }

    /// <summary>Moves a task back from running to queued (its worker died and it will run again).</summary>
    public void Requeued()
    {
        Interlocked.Decrement(ref _running);
        Interlocked.Increment(ref _queued);
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

    public void Finished(bool wasRunning, TaskOutcome outcome)
    {
        Interlocked.Decrement(ref wasRunning ? ref _running : ref _queued);
        switch (outcome)
        {
            case TaskOutcome.Completed: Interlocked.Increment(ref _completed); break;
            case TaskOutcome.Failed: Interlocked.Increment(ref _failed); break;
            default: Interlocked.Increment(ref _cancelled); break;
        }

        Changed?.Invoke();
    }
}
