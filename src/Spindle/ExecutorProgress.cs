namespace Spindle;

/// <summary>A snapshot of an executor's task counts.</summary>
/// <param name="Queued">Tasks accepted and waiting for a lane or worker.</param>
/// <param name="Running">Tasks running now.</param>
/// <param name="Completed">Tasks that returned a result.</param>
/// <param name="Failed">Tasks that threw, timed out or lost their worker.</param>
/// <param name="Cancelled">Tasks cancelled before or while running.</param>
public readonly record struct ExecutorProgress(long Queued, long Running, long Completed, long Failed, long Cancelled)
{
    /// <summary>Tasks that have finished in any way.</summary>
    public long Finished => Completed + Failed + Cancelled;
}
