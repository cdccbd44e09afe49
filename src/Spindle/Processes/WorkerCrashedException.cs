namespace Spindle;

/// <summary>Thrown for a task whose worker process died while it ran: the worker, its exit, and its last words.</summary>
public sealed class WorkerCrashedException : Exception
{
    internal WorkerCrashedException(int workerId, int processId, int? exitCode, int? signal, string reason, IReadOnlyList<string> lastStderrLines)
        : base(Describe(workerId, processId, exitCode, signal, reason, lastStderrLines))
    {
        WorkerId = workerId;
        ProcessId = processId;
        ExitCode = exitCode;
        Signal = signal;
        Reason = reason;
        LastStderrLines = lastStderrLines;
    }

    /// <summary>The worker's number within its executor.</summary>
    public int WorkerId { get; }

    /// <summary>The worker's operating-system process id.</summary>
    public int ProcessId { get; }

    /// <summary>The exit code, when the worker exited rather than being killed by a signal.</summary>
    public int? ExitCode { get; }

    /// <summary>The signal that killed the worker (e.g. 9 for SIGKILL, 6 for SIGABRT, 11 for SIGSEGV).</summary>
    public int? Signal { get; }

    /// <summary>Why the worker is gone, in a few words.</summary>
    public string Reason { get; }

    /// <summary>The last lines the worker wrote to stderr.</summary>
    public IReadOnlyList<string> LastStderrLines { get; }

    private static string Describe(int workerId, int processId, int? exitCode, int? signal, string reason, IReadOnlyList<string> lines)
    {
        var how = signal is { } s ? $"was killed by signal {s} ({SignalName(s)})" : exitCode is { } c ? $"exited with code {c}" : "was lost";
        var text = $"Worker {workerId} (pid {processId}) {how} while running this task: {reason}.";
        return lines.Count == 0 ? text : $"{text} Its last stderr lines:{Environment.NewLine}  {string.Join(Environment.NewLine + "  ", lines)}";
    }

    private static string SignalName(int signal) => signal switch
    {
        6 => "SIGABRT",
        9 => "SIGKILL",
        11 => "SIGSEGV",
        15 => "SIGTERM",
        7 => "SIGBUS",
        4 => "SIGILL",
        8 => "SIGFPE",
        _ => "signal " + signal,
    };
}
