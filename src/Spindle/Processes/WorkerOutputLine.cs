namespace Spindle;

/// <summary>One line a worker process wrote to its stdout or stderr.</summary>
/// <param name="WorkerId">The worker's number within its executor.</param>
/// <param name="ProcessId">The worker's process id.</param>
/// <param name="IsError">True for stderr, false for stdout.</param>
/// <param name="Line">The line, without its newline.</param>
public readonly record struct WorkerOutputLine(int WorkerId, int ProcessId, bool IsError, string Line);
