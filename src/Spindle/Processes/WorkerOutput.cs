namespace Spindle.Processes;

/// <summary>
/// One worker's stdout and stderr: each line goes to the Output option, or is echoed to this process's console; the
/// last stderr lines are kept for the exception of a task the worker was running when it died.
/// </summary>
internal sealed class WorkerOutput(string executorName, Action<WorkerOutputLine>? output, int workerId)
{
    private const int StderrLinesKept = 20;

    // How the runtime starts the report it writes to stderr as it ends a process (stack overflow, an unhandled
    // exception outside a task, Environment.FailFast, a fatal internal error).
    private static readonly string[] s_crashReportStarts = ["Stack overflow.", "Unhandled exception.", "Process terminated.", "Fatal error."];

    // Guarded by its own lock: stderr lines arrive on the process's reader thread while a settling thread reads them.
    private readonly Queue<string> _stderrTail = new();
    private string? _crashReportStart;

    /// <summary>The last stderr lines, led by the first line of the runtime's crash report if it scrolled out.</summary>
    public string[] StderrTail()
    {
        lock (_stderrTail)
        {
            return _crashReportStart is { } start && !_stderrTail.Contains(start) ? [start, "...", .. _stderrTail] : [.. _stderrTail];
        }
    }

    /// <summary>Takes one line the worker wrote (null at the end of the stream).</summary>
    public void OnLine(string? line, bool isError, int pid)
    {
        if (line is null)
        {
            return;
        }

        var crashReport = false;
        if (isError)
        {
            lock (_stderrTail)
            {
                if (_stderrTail.Count == StderrLinesKept)
                {
                    _stderrTail.Dequeue();
                }

                _stderrTail.Enqueue(line);
                if (_crashReportStart is null && Array.Exists(s_crashReportStarts, s => line.StartsWith(s, StringComparison.Ordinal)))
                {
                    _crashReportStart = line;
                }

                crashReport = _crashReportStart is not null;
            }
        }

        Forward(new WorkerOutputLine(workerId, pid, isError, line), crashReport);
    }

    /// <summary>
    /// Hands a line to the Output option, or echoes it to this process's console. A dying worker's crash report (tens
    /// of lines for a stack overflow) is not echoed: its last lines are in the task's exception.
    /// </summary>
    private void Forward(WorkerOutputLine line, bool crashReport)
    {
        if (output is not null)
        {
            output(line);
            return;
        }

        if (crashReport)
        {
            return;
        }

        var writer = line.IsError ? Console.Error : Console.Out;
        writer.WriteLine($"[{executorName} worker {line.WorkerId}] {line.Line}");
    }
}
