namespace Spindle.Threads;

/// <summary>A task accepted by the thread executor, as its lanes see it.</summary>
internal abstract class ThreadWorkItem : IThreadPoolWorkItem
{
    /// <summary>Whether the submitter's thread may start the task itself (see TaskOptions.ContinueOnExecutor).</summary>
    public bool MayStartInline { get; protected init; }

    /// <summary>Runs the task on the current thread; async work is started and completes later.</summary>
    public abstract void Execute();

    /// <summary>Ends the task as cancelled if it has not started; returns false if it already had.</summary>
    public abstract bool TryCancelPending(CancellationToken token);
}
