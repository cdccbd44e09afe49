using System.Diagnostics;
using System.Net.Sockets;
using Spindle.Internal;
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
/// The parent's handle on one worker process: the process, its channel and reader thread, the tasks sent to it in
/// order, its pipelining depth and the timer for its running task's deadline. Members named Locked are called under
/// the executor's gate, which also guards the state they change; the channel has its own threads.
/// </summary>
#pragma warning disable CA1001 // The token source has no timer: cancelling it in Release frees all it holds.
internal sealed class WorkerHandle
#pragma warning restore CA1001
{
    private readonly WorkerSet _set;
    private readonly object _gate;
    private readonly WorkerOutput _output;
    private readonly CancellationTokenSource _connected = new();
    private readonly Timer _timer;
    private double _serviceTicksAverage;
    private NetworkStream? _stream;

    public WorkerHandle(WorkerSet set, object gate, int id, WorkerOutput output)
    {
        _set = set;
        _gate = gate;
        _output = output;
        Id = id;
        Connected = _connected.Token;
        _timer = new Timer(static s => ((WorkerHandle)s!).OnDeadline(), this, Timeout.Infinite, Timeout.Infinite);
    }

    public int Id { get; }

    public Process? Process { get; private set; }

    public int Pid { get; private set; }

    public WorkerState State { get; private set; }

    /// <summary>No new tasks: it finishes what it has, then stops (recycling, idling or shutdown).</summary>
    public bool Retiring { get; private set; }

    /// <summary>Why the parent killed it, if it did; decides how its running task ends.</summary>
    public KillReason? KillReason { get; private set; }

    /// <summary>Why the worker was refused at its handshake, if it was; its start failure names this reason.</summary>
    public Exception? StartFailure { get; private set; }

    /// <summary>Tasks sent and not yet answered, oldest first; the oldest is the one running.</summary>
    public Queue<ProcessTask> InFlight { get; } = new();

    /// <summary>The functions this worker has been sent a definition of.</summary>
    public HashSet<int> Defined { get; } = [];

    public FrameSink? Sink { get; private set; }

    public int TasksDone { get; private set; }

    public long LastRss { get; private set; }

    public long LastActivity { get; private set; } = Environment.TickCount64;

    /// <summary>
    /// How many tasks may be in flight on it. Tiny tasks get a deep pipeline, so the worker never waits for
    /// a round trip; long ones get one or two, so that work is not stuck behind a long task while another
    /// worker is free.
    /// </summary>
    public int Depth { get; private set; } = 2;

    /// <summary>Cancelled when the worker has connected (or is gone): the end of its start timeout.</summary>
    public CancellationToken Connected { get; }

    /// <summary>Starts the process; the worker connects back on its own.</summary>
    public void Launch(ProcessStartInfo startInfo, string token)
    {
        var process = new Process { StartInfo = startInfo, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) => _output.OnLine(e.Data, isError: false, Pid);
        process.ErrorDataReceived += (_, e) => _output.OnLine(e.Data, isError: true, Pid);
        process.Exited += (_, _) => _set.OnWorkerExited(this);
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
    public void Attach(NetworkStream stream, FrameReader reader, ProcessExecutor scheduler)
    {
        _stream = stream;
        Sink = new FrameSink(stream, $"spindle worker {Id} writer", _ => KillGroup());
        new Thread(() => ReadReplies(reader, scheduler)) { IsBackground = true, Name = $"spindle worker {Id} reader" }.Start();
    }

    /// <summary>Marks a connected worker ready for tasks; false if it was lost meanwhile.</summary>
    public bool BecomeReadyLocked()
    {
        if (State != WorkerState.Starting)
        {
            return false;
        }

        State = WorkerState.Ready;
        return true;
    }

    /// <summary>Marks the worker lost and returns the state it was in.</summary>
    public WorkerState BecomeLostLocked()
    {
        var previous = State;
        State = WorkerState.Lost;
        return previous;
    }

    public void OnConnected() => _connected.Cancel();

    /// <summary>Records why the worker is refused at its handshake, before it is killed.</summary>
    public void RefuseAtHandshake(Exception reason) => StartFailure = reason;

    /// <summary>Records why the parent is about to kill the worker, unless an earlier reason stands.</summary>
    public void MarkForKillLocked(KillReason reason) => KillReason ??= reason;

    /// <summary>Records the resident memory that made the monitor kill the worker.</summary>
    public void MarkOverMemoryLocked(long rss)
    {
        LastRss = rss;
        MarkForKillLocked(Processes.KillReason.MemoryLimit);
    }

    /// <summary>Stops sending to the worker; once it has answered everything it is told to stop.</summary>
    public void RetireLocked()
    {
        Retiring = true;
        if (InFlight.Count == 0 && Sink is { } sink && State == WorkerState.Ready)
        {
            sink.Send(default(StopMessage));
        }
    }

    /// <summary>Marks <paramref name="task"/>, the oldest in flight, as the one the worker runs now.</summary>
    public void StartRunningLocked(ProcessTask task)
    {
        task.State = ProcessTaskState.Running;
        task.StartedAt = Stopwatch.GetTimestamp();
        LastActivity = Environment.TickCount64;
    }

    /// <summary>Counts an answered task and the worker's memory after it.</summary>
    public void RecordReplyLocked(long rss)
    {
        TasksDone++;
        LastRss = rss;
        LastActivity = Environment.TickCount64;
    }

    /// <summary>Adapts the pipelining depth to the measured time per item: about 2 ms of work in flight.</summary>
    public void ObserveServiceTimeLocked(long ticksPerItem)
    {
        _serviceTicksAverage = _serviceTicksAverage == 0 ? ticksPerItem : (0.8 * _serviceTicksAverage) + (0.2 * ticksPerItem);
        var target = TimeSpan.FromMilliseconds(2).Ticks;
        Depth = _serviceTicksAverage >= target ? 1 : (int)Math.Clamp(target / Math.Max(_serviceTicksAverage, 1), 2, 64);
    }

    /// <summary>Arms the timer for the running task's timeout or cancellation grace, whichever is first.</summary>
    public void ArmTimerLocked()
    {
        if (!InFlight.TryPeek(out var head))
        {
            _timer.Change(Timeout.Infinite, Timeout.Infinite);
            return;
        }

        var deadline = TimeoutDeadline(head);

        if (head.CancelDeadline != 0)
        {
            deadline = Math.Min(deadline, head.CancelDeadline);
        }

        if (deadline == long.MaxValue)
        {
            _timer.Change(Timeout.Infinite, Timeout.Infinite);
            return;
        }

        var due = Math.Max(0, (deadline - Stopwatch.GetTimestamp()) * 1000 / Stopwatch.Frequency);
        _timer.Change(due, Timeout.Infinite);
    }

    public void StopTimerLocked() => _timer.Change(Timeout.Infinite, Timeout.Infinite);

    /// <summary>
    /// Frees what this process holds for a worker that is gone: its timer, its socket, its writer thread and its
    /// process handle and pipes. Without it every recycled worker left a thread and a few descriptors behind.
    /// </summary>
    public void Release()
    {
        _timer.Dispose();
        // The socket first: a write blocked on it fails at once, so the writer thread ends without the join's wait.
        _stream?.Dispose();
        Sink?.Close();
        Process?.Dispose();
        _connected.Cancel();
    }

    /// <summary>The last stderr lines, led by the first line of the runtime's crash report if it scrolled out.</summary>
    public string[] StderrTail() => _output.StderrTail();

    /// <summary>Kills the worker and every process its tasks started (its process group).</summary>
    public void KillGroup()
    {
        if (Pid <= 0)
        {
            return;
        }

        if (!Libc.KillGroup(Pid, Libc.SIGKILL))
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

    /// <summary>When a running task's timeout ends (Stopwatch ticks); long.MaxValue without a timeout.</summary>
    private static long TimeoutDeadline(ProcessTask task) =>
        task.Timeout is { } timeout ? task.StartedAt + (long)(timeout.TotalSeconds * Stopwatch.Frequency) : long.MaxValue;

    /// <summary>The timer: kills the worker if its running task is past its timeout or its cancellation grace.</summary>
    private void OnDeadline()
    {
        lock (_gate)
        {
            if (State != WorkerState.Ready || !InFlight.TryPeek(out var head))
            {
                return;
            }

            var now = Stopwatch.GetTimestamp();
            if (now >= TimeoutDeadline(head))
            {
                KillReason = Processes.KillReason.Timeout;
            }
            else if (head.CancelDeadline != 0 && now >= head.CancelDeadline)
            {
                KillReason = Processes.KillReason.Cancelled;
            }
            else
            {
                ArmTimerLocked();
                return;
            }
        }

        // The reader thread sees the end of the channel and settles the tasks, by the kill reason.
        KillGroup();
    }

    /// <summary>The reader thread: hands each reply to the scheduler until the channel ends, then reports the loss.</summary>
    private void ReadReplies(FrameReader reader, ProcessExecutor scheduler)
    {
        Exception? cause = null;
        try
        {
            while (reader.TryRead(out var type, out var body))
            {
                scheduler.OnReply(this, type, body);
            }
        }
        catch (InvalidDataException e)
        {
            // A malformed, oversized or out-of-order frame: this worker cannot be trusted any more.
            cause = e;
            lock (_gate)
            {
                MarkForKillLocked(Processes.KillReason.ProtocolViolation);
            }

            KillGroup();
        }
        catch (IOException e)
        {
            cause = e;
        }
        catch (ObjectDisposedException e)
        {
            cause = e;
        }

        _set.OnWorkerLost(this, cause);
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
