namespace Spindle.Internal;

/// <summary>
/// What a pipeline asks of an executor beyond Submit, so that none of it is on <see cref="Executor"/>: the thread
/// executor offers it, and a pipeline asks with <c>is</c> (its batch tasks and the run's own executor are for threads only).
/// </summary>
internal interface IPipelineHost
{
    /// <summary>Cancelled when the executor's shutdown stops waiting and cancels running tasks.</summary>
    CancellationToken StopToken { get; }

    /// <summary>Whether the executor is live and no task it accepted is still outstanding.</summary>
    bool IsIdle { get; }

    /// <summary>Completes when no accepted task is outstanding (at once if none is); for one waiter at a time.</summary>
    Task WhenIdleAsync();

    /// <summary>
    /// Runs a task whose awaiter is Spindle's own short, non-blocking code (a pipeline stage), which goes on on the
    /// executor's thread as the task ends instead of costing a hop to the thread pool; an I/O-lane task submitted from
    /// a pool thread may start there. Never for a task a user awaits: their continuations must not run on a lane thread.
    /// </summary>
    Task<TResult> SubmitContinuingHere<TArg, TResult>(Work<TArg, TResult> work, TArg arg, TaskOptions options);
}
