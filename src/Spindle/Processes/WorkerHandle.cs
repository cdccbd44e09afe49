using System.Diagnostics;
using System.Net.Sockets;
using Spindle.Processes.Protocol;

namespace Spindle.Processes;

/// <summary>Where a worker is in its life.</summary>
internal enum WorkerState
{
    Starting,
    Ready,
    Lost,
}

/// <summary>
/// The parent's handle on one worker process: the process, its channel, the tasks sent to it in order, and its
/// recent stderr. Scheduling state is guarded by the executor's gate; the channel has its own threads.
/// </summary>
#pragma warning disable CA1001 // The token source has no timer: cancelling it in Release frees all it holds.
internal sealed class WorkerHandle
#pragma warning restore CA1001
{
    private const int StderrLinesKept = 20;

    // How the runtime starts the report it writes to stderr as it ends a process (stack overflow, an unhandled
    // exception outside a task, Environment.FailFast, a fatal internal error).
    private static readonly string[] s_crashReportStarts = ["Stack overflow.", "Unhandled exception.", "Process terminated.", "Fatal error."];
    private readonly Queue<string> _stderrTail = new();
    private readonly ProcessExecutor _owner;
    private double _serviceTicksAverage;
    private readonly CancellationTokenSource _connected = new();
    private NetworkStream? _stream;
    private string? _crashReportStart;

    public WorkerHandle(ProcessExecutor owner, int id)
    {
        _owner = owner;
        Id = id;
        Connected = _connected.Token;
        Timer = new Timer(static s => ((WorkerHandle)s!)._owner.OnWorkerTimer((WorkerHandle)s), this, Timeout.Infinite, Timeout.Infinite);
    }

    public int Id { get; }

    public Process? Process { get; private set; }

    public int Pid { get; private set; }

    public WorkerState State { get; set; }

    /// <summary>No new tasks: it finishes what it has, then stops (recycling, idling or shutdown).</summary>
    public bool Retiring { get; set; }

    /// <summary>Why the parent killed it, if it did; decides how its running task ends.</summary>
    public KillReason? KillReason { get; set; }

    /// <summary>Why the worker was refused at its handshake, if it was; its start failure names this reason.</summary>
    public Exception? StartFailure { get; set; }

    /// <summary>Tasks sent and not yet answered, oldest first; the oldest is the one running.</summary>
    public Queue<ProcessTask> InFlight { get; } = new();

    public HashSet<int> Defined { get; } = [];

    public FrameSink? Sink { get; private set; }

    public Timer Timer { get; }

    public int TasksDone { get; set; }

    public long LastRss { get; set; }

    public long LastActivity { get; set; } = Environment.TickCount64;

    /// <summary>
    /// How many tasks may be in flight on it. Tiny tasks get a deep pipeline, so the worker never waits for
    /// a round trip; long ones get one or two, so that work is not stuck behind a long task while another
    /// worker is free.
    /// </summary>
    public int Depth { get; private set; } = 2;

    /// <summary>Cancelled when the worker has connected (or is gone): the end of its start timeout.</summary>
    public CancellationToken Connected { get; private set; }

    public void OnConnected() => _connected.Cancel();

    /// <summary>Starts the process; the worker connects back on its own.</summary>
    public void Launch(ProcessStartInfo startInfo, string token)
    {
        var process = new Process { StartInfo = startInfo, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) => OnOutput(e.Data, isError: false);
        process.ErrorDataReceived += (_, e) => OnOutput(e.Data, isError: true);
        process.Exited += (_, _) => _owner.OnWorkerExited(this);
        process.Start();
        Process = process;
        Pid = process.Id;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        // The token travels on stdin; stdin then stays open for the worker's life.
        process.StandardInput.WriteLine(token);
        process.StandardInput.Flush();
    }

    /// <summary>Takes over the accepted, authenticated connection and starts reading replies.</summary>
    public void Attach(NetworkStream stream, FrameReader reader, Action<WorkerHandle, FrameReader> readLoop)
    {
        _stream = stream;
        Sink = new FrameSink(stream, $"spindle worker {Id} writer", _ => KillGroup());
        new Thread(() => readLoop(this, reader)) { IsBackground = true, Name = $"spindle worker {Id} reader" }.Start();
    }

    public void ObserveServiceTime(long ticksPerItem)
    {
        _serviceTicksAverage = _serviceTicksAverage == 0 ? ticksPerItem : (0.8 * _serviceTicksAverage) + (0.2 * ticksPerItem);
        var target = TimeSpan.FromMilliseconds(2).Ticks;
        Depth = _serviceTicksAverage >= target ? 1 : (int)Math.Clamp(target / Math.Max(_serviceTicksAverage, 1), 2, 64);
    }

    /// <summary>
    /// Frees what this process holds for a worker that is gone: its socket, its writer thread and its process
    /// handle and pipes. Without it every recycled worker left a thread and a few descriptors behind.
    /// </summary>
    public void Release()
    {
        // The socket first: a write blocked on it fails at once, so the writer thread ends without the join's wait.
        _stream?.Dispose();
        Sink?.Close();
        Process?.Dispose();
        _connected.Cancel();
    }

    /// <summary>The last stderr lines, led by the first line of the runtime's crash report if it scrolled out.</summary>
    public string[] StderrTail()
    {
        lock (_stderrTail)
        {
            return _crashReportStart is { } start && !_stderrTail.Contains(start) ? [start, "...", .. _stderrTail] : [.. _stderrTail];
        }
    }

    /// <summary>Kills the worker and every process its tasks started (its process group).</summary>
    public void KillGroup()
    {
        if (Pid <= 0)
        {
            return;
        }

        if (!Native.KillGroup(Pid, Native.SIGKILL))
        {
            // The group may not exist yet if the worker died before setting it up.
            try
            {
                Process?.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
            }
        }
    }

    /// <summary>Waits for the process to end and reads how it ended: (exit code, signal).</summary>
    public (int? ExitCode, int? Signal) WaitForExit()
    {
        var process = Process;
        if (process is null)
        {
            return (null, null);
        }

        int code;
        try
        {
            if (!process.WaitForExit(3000))
            {
                return (null, null);
            }

            // The parameterless wait also drains redirected output, so the last stderr lines are in the tail;
            // bounded, since a grandchild could hold the pipe open.
            Task.Run(process.WaitForExit).Wait(1000);
            code = process.ExitCode;
        }
        catch (InvalidOperationException)
        {
            // Already released by whoever saw it end first.
            return (null, null);
        }

        // .NET reports a process killed by signal N as exit code 128 + N.
        return code is > 128 and < 160 ? (null, code - 128) : (code, null);
    }

    private void OnOutput(string? line, bool isError)
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

        _owner.ForwardOutput(new WorkerOutputLine(Id, Pid, isError, line), crashReport);
    }
}

/// <summary>Why the parent killed a worker.</summary>
internal enum KillReason
{
    Timeout,
    Cancelled,
    MemoryLimit,
    ProtocolViolation,
    Shutdown,
}
