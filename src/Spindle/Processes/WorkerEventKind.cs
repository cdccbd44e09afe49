namespace Spindle;

/// <summary>What happened to a worker process.</summary>
public enum WorkerEventKind
{
    /// <summary>The worker started and connected back; it takes tasks from now on.</summary>
    Started,

    /// <summary>The worker ended without being asked to (an exit code, a signal, a broken channel, twice its memory limit).</summary>
    Crashed,

    /// <summary>The worker is being replaced by a fresh one: it ran its task count or grew past its memory limit.</summary>
    Recycled,

    /// <summary>The worker was killed because its running task went past its timeout.</summary>
    TimedOutKilled,

    /// <summary>The worker ended as asked (recycled, idle or shut down).</summary>
    Exited,
}
