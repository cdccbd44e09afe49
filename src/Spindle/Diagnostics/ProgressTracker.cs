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
