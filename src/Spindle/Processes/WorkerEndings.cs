namespace Spindle.Processes;

/// <summary>
/// How the end of a worker is told: the reason a crashed or killed worker is gone (in its running task's exception and in
/// the Events option), the event a started worker's end raises, and the error of workers that cannot start.
/// </summary>
internal static class WorkerEndings
{
    /// <summary>Why a worker that crashed, or that the parent killed for memory or the protocol, is gone.</summary>
    public static string CrashReason(WorkerHandle worker, Exception? cause, long? memoryLimit) => worker.KillReason switch
    {
        KillReason.MemoryLimit => $"it exceeded twice its memory limit of {memoryLimit} bytes (resident: {worker.LastRss} bytes) and was killed",
        KillReason.ProtocolViolation => $"it broke the channel's protocol ({cause?.Message})",
        _ => cause is null ? "the process ended" : $"its channel failed ({cause.Message})",
    };

    /// <summary>How the Events option is told a started worker ended: the kind of event and its reason.</summary>
    public static (WorkerEventKind Kind, string Reason) LostEvent(WorkerHandle worker, Exception? cause, bool wasIdle, long? memoryLimit) =>
        worker.KillReason switch
        {
            KillReason.Timeout => (WorkerEventKind.TimedOutKilled, "its running task went past its timeout"),
            KillReason.Cancelled => (WorkerEventKind.Exited, "it was killed because its cancelled task did not stop within CancelGracePeriod"),
            KillReason.Shutdown => (WorkerEventKind.Exited, "it was killed because shutdown stopped waiting"),
            KillReason.MemoryLimit or KillReason.ProtocolViolation => (WorkerEventKind.Crashed, CrashReason(worker, cause, memoryLimit)),
            // Told to stop with nothing left to run: however it ended (this process kills the group of a worker whose
            // channel has closed), it did what it was asked.
            _ when worker.Retiring && wasIdle => (WorkerEventKind.Exited, "it was told to stop"),
            _ => (WorkerEventKind.Crashed, CrashReason(worker, cause, memoryLimit)),
        };

    /// <summary>The error every waiting task gets when workers cannot start: the command, how it ended, and the fix.</summary>
    public static WorkerStartException StartError(WorkerHandle worker, int? exitCode, int? signal, Exception? cause, TimeSpan startTimeout)
    {
        var command = worker.Process?.StartInfo is { } si ? $"{si.FileName} {string.Join(' ', si.ArgumentList)}" : "(not started)";
        var how = cause is not null ? cause.Message : signal is { } s ? $"it was killed by signal {s}" : exitCode is { } c ? $"it exited with code {c}" : $"it did not connect within {startTimeout.TotalSeconds:0} s";
        var tail = worker.StderrTail();
        var wrongApp = cause is WorkerStartException;
        return new WorkerStartException(
            $"Worker processes could not start: this app was re-executed as '{command}' and {how}{(wrongApp ? "" : " before connecting back")}. " +
            (wrongApp
                ? "Start the app by a command line that names it from any directory (an absolute path), or set ProcessExecutorOptions.Command to a command that starts this app."
                : "Add 'Spindle.Worker.RunIfWorker();' as the first line of Main (needed where startup hooks are disabled, such as trimmed or Native AOT apps), " +
                  "or set ProcessExecutorOptions.Command to a program that reaches it.") +
            (tail.Length == 0 ? "" : $" Its last stderr lines:{Environment.NewLine}  {string.Join(Environment.NewLine + "  ", tail)}"),
            cause);
    }
}
