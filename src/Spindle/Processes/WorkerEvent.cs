namespace Spindle;

/// <summary>One moment in a worker process's life, reported through <see cref="ProcessExecutorOptions.Events"/>.</summary>
/// <param name="Kind">What happened.</param>
/// <param name="Executor">The executor's name.</param>
/// <param name="WorkerId">The worker's number within its executor.</param>
/// <param name="ProcessId">The worker's process id.</param>
/// <param name="ExitCode">The exit code, when the worker ended with one.</param>
/// <param name="Signal">The signal that ended the worker, when one did.</param>
/// <param name="Reason">Why it happened, as a phrase ("it ran 100 tasks"); null when there is nothing to add.</param>
/// <param name="StderrTail">The worker's last stderr lines, for an ended worker; empty otherwise.</param>
public sealed record WorkerEvent(
    WorkerEventKind Kind,
    string Executor,
    int WorkerId,
    int ProcessId,
    int? ExitCode,
    int? Signal,
    string? Reason,
    IReadOnlyList<string> StderrTail);
