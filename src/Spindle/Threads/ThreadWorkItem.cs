namespace Spindle.Threads;

/// <summary>A task accepted by the thread executor, as its lanes see it.</summary>
internal abstract class ThreadWorkItem : IThreadPoolWorkItem
{
    /// <summary>
    /// Spindle's own task (IPipelineHost.SubmitContinuingHere): its awaiter continues on the thread where it ends, and
    /// the I/O lane may start it on the submitter's pool thread.
    /// </summary>
    public bool ContinuesOnExecutor { get; protected init; }

    /// <summary>Runs the task on the current thread; async work is started and completes later.</summary>
    public abstract void Execute();

    /// <summary>Ends the task as cancelled if it has not started; returns false if it already had.</summary>
    public abstract bool TryCancelPending(CancellationToken token);
}
