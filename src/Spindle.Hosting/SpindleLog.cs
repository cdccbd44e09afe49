using Microsoft.Extensions.Logging;

namespace Spindle.Hosting;

/// <summary>Spindle's log messages in a host, source-generated, each with its event id (1xx executors, 2xx workers).</summary>
internal static partial class SpindleLog
{
    [LoggerMessage(EventId = 100, Level = LogLevel.Information, Message = "Spindle executor {Executor} started: {Technique} with {Workers} workers.")]
    public static partial void ExecutorStarted(ILogger logger, string executor, Technique technique, int workers);

    [LoggerMessage(EventId = 101, Level = LogLevel.Information, Message = "Spindle executor {Executor} stopped after draining its tasks.")]
    public static partial void ExecutorStopped(ILogger logger, string executor);

    [LoggerMessage(EventId = 102, Level = LogLevel.Warning, Message = "Spindle executor {Executor} did not drain before the host's shutdown timeout; its running tasks were cancelled and its workers killed ({Running} running, {Queued} queued).")]
    public static partial void ExecutorDrainCut(ILogger logger, string executor, long running, long queued);

    [LoggerMessage(EventId = 103, Level = LogLevel.Error, Message = "Spindle executor {Executor} still had tasks running after they were cancelled; a thread task that ignores its token cannot be stopped (run such work on processes).")]
    public static partial void ExecutorStuck(ILogger logger, string executor);

    [LoggerMessage(EventId = 104, Level = LogLevel.Warning, Message = "Spindle executor {Executor} had {Alive} of its {Workers} worker processes connected after {Waited}; the host starts anyway and the rest join as they connect.")]
    public static partial void WorkersSlowToStart(ILogger logger, string executor, int alive, int workers, TimeSpan waited);

    [LoggerMessage(EventId = 200, Level = LogLevel.Information, Message = "Worker {WorkerId} of {Executor} started (pid {Pid}).")]
    public static partial void WorkerStarted(ILogger logger, string executor, int workerId, int pid);

    [LoggerMessage(EventId = 201, Level = LogLevel.Error, Message = "Worker {WorkerId} of {Executor} (pid {Pid}) crashed: {Reason} (exit code {ExitCode}, signal {Signal}). Its last stderr lines: {StderrTail}")]
    public static partial void WorkerCrashed(ILogger logger, string executor, int workerId, int pid, string? reason, int? exitCode, int? signal, string stderrTail);

    [LoggerMessage(EventId = 202, Level = LogLevel.Information, Message = "Worker {WorkerId} of {Executor} (pid {Pid}) is recycled: {Reason}.")]
    public static partial void WorkerRecycled(ILogger logger, string executor, int workerId, int pid, string? reason);

    [LoggerMessage(EventId = 203, Level = LogLevel.Warning, Message = "Worker {WorkerId} of {Executor} (pid {Pid}) was killed: {Reason}.")]
    public static partial void WorkerTimedOutKilled(ILogger logger, string executor, int workerId, int pid, string? reason);

    [LoggerMessage(EventId = 204, Level = LogLevel.Debug, Message = "Worker {WorkerId} of {Executor} (pid {Pid}) exited: {Reason}.")]
    public static partial void WorkerExited(ILogger logger, string executor, int workerId, int pid, string? reason);

    [LoggerMessage(EventId = 210, Level = LogLevel.Information, Message = "[{Executor} worker {WorkerId} pid {Pid}] {Line}")]
    public static partial void WorkerStdout(ILogger logger, string executor, int workerId, int pid, string line);

    [LoggerMessage(EventId = 211, Level = LogLevel.Warning, Message = "[{Executor} worker {WorkerId} pid {Pid} stderr] {Line}")]
    public static partial void WorkerStderr(ILogger logger, string executor, int workerId, int pid, string line);
}
