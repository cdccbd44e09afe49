using System.Diagnostics;
using System.Net.Sockets;
using System.Security.Cryptography;
using Spindle.Diagnostics;
using Spindle.Internal;
using Spindle.Processes.Protocol;

namespace Spindle.Processes;

/// <summary>
/// The process executor: N worker processes (this app, re-executed), each running one task at a time.
/// </summary>
/// <remarks>
/// <code>
///  Submit/Map ──► pending queue ──dispatch──► worker 1: [running][sent][sent]  ◄── FIFO: replies come in order
///  (this process,  (cancellable        │      worker 2: [running][sent]
///   serializes     without any         │         ▲ Unix socket, 0700 dir, token handshake, length-prefixed frames
///   the argument)  worker knowing)     └─ depth per worker adapts to task length (tiny: deep pipeline; long: 1)
///
///  reply ──► reader thread ──► pop the oldest task, mark the next one running, dispatch more, complete the task
///  worker lost ──► its running task fails (WorkerCrashedException, or timeout/cancel if the parent killed it);
///                  tasks sent behind it never started, so they go back to the front of the queue; a new worker starts
/// </code>
/// All scheduling state (the pending queue, each worker's FIFO, task states) is guarded by one lock, _gate:
/// a reply, a crash, a cancellation and a dispatch must each see the same picture of who runs what.
/// </remarks>
internal sealed partial class ProcessExecutor : Executor
{
    private readonly object _gate = new();
    private readonly ProcessExecutorOptions _options;
    private readonly LinkedList<ProcessTask> _pending = new();
    private readonly List<WorkerHandle> _workers = [];
    private readonly string _directory;
    private readonly string _socketPath;
    private readonly Socket _listener;
    private readonly byte[] _token = RandomNumberGenerator.GetBytes(32);
    private readonly string _tokenHex;
    private readonly Timer? _monitor;
    private readonly DirectoryJanitor? _janitor;
    private readonly EventHandler _onProcessExit;
    private int _nextWorkerId;
    private long _nextTaskId;
    private int _startFailures;
    private int _rejectedConnections;
    private long _retriedTasks;
    private long _retriedItems;
    private bool _stopping;

    public ProcessExecutor(ProcessExecutorOptions options)
        : base(Validated(options).Name)
    {
        _options = options;
        _tokenHex = Convert.ToHexString(_token);

        // A fresh directory only this user can enter: the socket inside it is unreachable to other users,
        // and the token keeps out this user's other processes.
        _directory = Path.Combine(Path.GetTempPath(), $"spindle-{Environment.ProcessId}-{Convert.ToHexString(RandomNumberGenerator.GetBytes(6)).ToLowerInvariant()}");
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("Executor.Processes needs Unix domain sockets and process groups, available on Linux and macOS.");
        }

        // Started before the directory exists, so that there is no moment at which a killed parent leaves it behind.
        _janitor = DirectoryJanitor.Start(_directory);
        Directory.CreateDirectory(_directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        _socketPath = Path.Combine(_directory, "w.sock");
        _listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        _listener.Bind(new UnixDomainSocketEndPoint(_socketPath));
        _listener.Listen(128);
        _ = AcceptLoopAsync();

        // Workers die with their parent anyway (end of stream on their socket, then they kill their own group and
        // remove the socket directory); this does it at once on an orderly exit. Registered by each executor for its
        // own life, never from a static constructor: Ctrl-C belongs to the app (a host drains on it, then stops us).
        _onProcessExit = (_, _) => KillAll();
        AppDomain.CurrentDomain.ProcessExit += _onProcessExit;

        if (options.MemoryLimitBytes is not null || options.IdleTimeout is not null)
        {
            _monitor = new Timer(static s => ((ProcessExecutor)s!).Monitor(), this, 200, 200);
        }

        if (options.Start == WorkerStart.Eager)
        {
            lock (_gate)
            {
                EnsureWorkersLocked();
            }
        }
    }

    public override Technique Technique => Technique.Processes;

    internal int MaxWorkers => _options.MaxWorkers;

    /// <summary>The socket directory (for tests that check it is private and removed).</summary>
    internal string SocketDirectory => _directory;

    internal string SocketPath => _socketPath;

    internal int RejectedConnections => Volatile.Read(ref _rejectedConnections);

    /// <summary>Tasks (a Map batch counts once) run again after their worker crashed, and the items in them.</summary>
    internal (long Tasks, long Items) Retried => (Volatile.Read(ref _retriedTasks), Volatile.Read(ref _retriedItems));

    /// <summary>The process ids of the live workers.</summary>
    internal int[] WorkerPids
    {
        get
        {
            lock (_gate)
            {
                return [.. _workers.Where(static w => w.State == WorkerState.Ready).Select(static w => w.Pid)];
            }
        }
    }

    private protected override int DefaultMaxInFlight => 4 * _options.MaxWorkers * 4096;

    internal long NextTaskId() => Interlocked.Increment(ref _nextTaskId);

    internal void OnTaskEnded() => ReleaseOutstanding();

    private protected override Task<TResult> SubmitCore<TArg, TResult>(Work<TArg, TResult> work, TArg arg, TaskOptions options, CancellationToken cancellationToken)
    {
        ThrowIfShutdown();
        var function = FunctionRef.For(work.Original);
        var payload = PayloadSerializer.SerializeArgument(arg);
        var task = new ProcessTask<TResult>(this, function, payload, options, cancellationToken);
        Enqueue(task);
        return task.Task;
    }

    /// <summary>Sends a batch of Map items as one task.</summary>
    internal Task<BatchOutcome<TResult>> SubmitBatch<TArg, TResult>(FunctionRef function, TArg[] items, TaskOptions options, CancellationToken cancellationToken)
    {
        var payload = PayloadSerializer.SerializeArgument(items, "Map items");
        var activity = SpindleTelemetry.StartTask(this, "spindle.map.batch", function.DisplayName, items.Length);

        // The batch's span is current while the task is made, so that the batch's run in a worker is its child.
        var caller = Activity.Current;
        Activity.Current = activity ?? caller;
        var task = new BatchTask<TResult>(this, function, payload, items.Length, options, cancellationToken);
        Activity.Current = caller;
        Enqueue(task);
        SpindleTelemetry.EndWith(activity, task.Task);
        return task.Task;
    }

    private void Enqueue(ProcessTask task)
    {
        AcceptTask();
        Tracker.Queued(task.Items);
        if (task.CallerToken.IsCancellationRequested)
        {
            task.Cancel(wasRunning: false, task.CallerToken);
            return;
        }

        lock (_gate)
        {
            task.State = ProcessTaskState.Queued;
            task.Node = _pending.AddLast(task);
            EnsureWorkersLocked();
            DispatchLocked();
        }

        if (task.CallerToken.CanBeCanceled)
        {
            task.Registration = task.CallerToken.UnsafeRegister(OnCallerCancelled, task);
        }
    }

    private void OnCallerCancelled(object? state)
    {
        var task = (ProcessTask)state!;
        bool wasRunning;
        lock (_gate)
        {
            if (task.IsFinished)
            {
                return;
            }

            switch (task.State)
            {
                case ProcessTaskState.Queued:
                    _pending.Remove(task.Node!);
                    task.Node = null;
                    wasRunning = false;
                    break;
                case ProcessTaskState.Sent:
                    // It never started: end it now; the worker is told to skip it and still answers, in order.
                    SendCancelLocked(task);
                    wasRunning = false;
                    break;
                default:
                    // Running: ask the work to stop (its token), and give it the grace period before a kill.
                    SendCancelLocked(task);
                    task.CancelDeadline = Stopwatch.GetTimestamp() + (long)(_options.CancelGracePeriod.TotalSeconds * Stopwatch.Frequency);
                    ArmTimerLocked(task.Worker!);
                    return;
            }
        }

        task.Cancel(wasRunning, task.CallerToken);
    }

    private static void SendCancelLocked(ProcessTask task)
    {
        task.Worker?.Sink?.Send(new CancelMessage(task.Id));
    }

    private void DispatchLocked()
    {
        while (_pending.First is { } node)
        {
            WorkerHandle? best = null;
            foreach (var w in _workers)
            {
                if (w.State == WorkerState.Ready && !w.Retiring && w.InFlight.Count < w.Depth && (best is null || w.InFlight.Count < best.InFlight.Count))
                {
                    best = w;
                }
            }

            if (best is null)
            {
                return;
            }

            _pending.RemoveFirst();
            var task = node.Value;
            task.Node = null;
            if (!task.IsFinished)
            {
                SendLocked(best, task);
            }
        }
    }

    private void SendLocked(WorkerHandle worker, ProcessTask task)
    {
        task.State = ProcessTaskState.Sent;
        task.Worker = worker;
        worker.InFlight.Enqueue(task);
        // Both frames under one append, so that no other frame comes between a definition and its first run.
        var buffer = worker.Sink!.BeginAppend();
        try
        {
            if (worker.Defined.Add(task.Function.Id))
            {
                new DefineMessage(task.Function.Id, task.Function.Method).WriteTo(buffer);
            }

            new RunMessage(task.Id, task.Function.Id, task.IsBatch, task.TraceParent, task.Payload).WriteTo(buffer);
        }
        finally
        {
            worker.Sink.EndAppend();
        }

        if (worker.InFlight.Count == 1)
        {
            MarkRunningLocked(worker, task);
        }
    }

    private void MarkRunningLocked(WorkerHandle worker, ProcessTask task)
    {
        task.State = ProcessTaskState.Running;
        task.StartedAt = Stopwatch.GetTimestamp();
        worker.LastActivity = Environment.TickCount64;
        if (!task.IsFinished)
        {
            Tracker.Started(task.Items);
        }

        ArmTimerLocked(worker);
    }

    /// <summary>Arms the worker's timer for its running task's timeout or cancellation grace, whichever is first.</summary>
    private static void ArmTimerLocked(WorkerHandle worker)
    {
        if (!worker.InFlight.TryPeek(out var head))
        {
            worker.Timer.Change(Timeout.Infinite, Timeout.Infinite);
            return;
        }

        var deadline = TimeoutDeadline(head);

        if (head.CancelDeadline != 0)
        {
            deadline = Math.Min(deadline, head.CancelDeadline);
        }

        if (deadline == long.MaxValue)
        {
            worker.Timer.Change(Timeout.Infinite, Timeout.Infinite);
            return;
        }

        var due = Math.Max(0, (deadline - Stopwatch.GetTimestamp()) * 1000 / Stopwatch.Frequency);
        worker.Timer.Change(due, Timeout.Infinite);
    }

    /// <summary>When a running task's timeout ends (Stopwatch ticks); long.MaxValue without a timeout.</summary>
    private static long TimeoutDeadline(ProcessTask task) =>
        task.Timeout is { } timeout ? task.StartedAt + (long)(timeout.TotalSeconds * Stopwatch.Frequency) : long.MaxValue;

    internal void OnWorkerTimer(WorkerHandle worker)
    {
        lock (_gate)
        {
            if (worker.State != WorkerState.Ready || !worker.InFlight.TryPeek(out var head))
            {
                return;
            }

            var now = Stopwatch.GetTimestamp();
            if (now >= TimeoutDeadline(head))
            {
                worker.KillReason = KillReason.Timeout;
            }
            else if (head.CancelDeadline != 0 && now >= head.CancelDeadline)
            {
                worker.KillReason = KillReason.Cancelled;
            }
            else
            {
                ArmTimerLocked(worker);
                return;
            }
        }

        // The reader thread sees the end of the channel and settles the tasks, by the kill reason.
        worker.KillGroup();
    }

    private void ReadLoop(WorkerHandle worker, FrameReader reader)
    {
        Exception? cause = null;
        try
        {
            while (reader.TryRead(out var type, out var body))
            {
                OnReply(worker, type, body);
            }
        }
        catch (InvalidDataException e)
        {
            // A malformed, oversized or out-of-order frame: this worker cannot be trusted any more.
            cause = e;
            lock (_gate)
            {
                worker.KillReason ??= KillReason.ProtocolViolation;
            }

            worker.KillGroup();
        }
        catch (IOException e)
        {
            cause = e;
        }
        catch (ObjectDisposedException e)
        {
            cause = e;
        }

        OnWorkerLost(worker, cause);
    }

    private void OnReply(WorkerHandle worker, FrameType type, ReadOnlyMemory<byte> body)
    {
        // The whole frame is checked before its task leaves the worker's FIFO: a frame found bad after that would
        // leave the task in neither the FIFO nor a finished state, and its caller waiting forever.
        if (!ReplyMessage.IsReply(type))
        {
            throw new InvalidDataException($"Worker {worker.Id} sent a frame of unexpected type {(int)type}.");
        }

        var reply = ReplyMessage.Read(type, body);
        var (taskId, rss, elapsed) = (reply.TaskId, reply.ResidentBytes, reply.ElapsedTicks);
        var remoteError = type == FrameType.Error ? RemoteError.FromBytes(reply.Error) : null;

        ProcessTask task;
        bool wasRunning;
        bool stoppedShort;
        string? recycled = null;
        lock (_gate)
        {
            if (!worker.InFlight.TryPeek(out var head) || head.Id != taskId)
            {
                throw new InvalidDataException($"Worker {worker.Id} answered task {taskId}, which is not the task it is running.");
            }

            // A batch answered with fewer results than items was stopped short by its worker (it grew past its memory
            // limit between two items); the rest of the batch runs again, first in line, while the worker is recycled.
            var done = type == FrameType.Result && head.IsBatch ? BatchPayload.Count(reply.Results) : -1;
            if (done == 0 && head.Items > 0)
            {
                throw new InvalidDataException($"Worker {worker.Id} answered a batch of {head.Items} items with no results.");
            }

            stoppedShort = done > 0 && done < head.Items;
            task = worker.InFlight.Dequeue();
            wasRunning = task.State == ProcessTaskState.Running;
            worker.TasksDone++;
            worker.LastRss = rss;
            worker.LastActivity = Environment.TickCount64;
            if (type != FrameType.Cancelled)
            {
                worker.ObserveServiceTime(elapsed / Math.Max(1, task.Items));
            }

            if (worker.InFlight.TryPeek(out var next))
            {
                MarkRunningLocked(worker, next);
            }
            else
            {
                ArmTimerLocked(worker);
            }

            if ((_options.MaxTasksPerWorker is { } max && worker.TasksDone >= max)
                || (_options.MemoryLimitBytes is { } limit && rss > limit))
            {
                // Reported once, but retired on every reply: the Stop frame goes out only when its last task is answered.
                if (!worker.Retiring)
                {
                    recycled = worker.TasksDone >= (_options.MaxTasksPerWorker ?? int.MaxValue)
                        ? $"it ran {worker.TasksDone} tasks (MaxTasksPerWorker is {_options.MaxTasksPerWorker})"
                        : $"its resident memory of {rss} bytes is above its limit of {_options.MemoryLimitBytes} bytes";
                }

                RetireLocked(worker);
            }

            if (stoppedShort && !task.IsFinished && !task.CallerToken.IsCancellationRequested)
            {
                // Under the gate, so no dispatch sees the batch half cut; this happens once per recycled worker.
                var rest = task.Items - done;
                task.StopShort(reply.Results, done, elapsed);
                Tracker.Finished(wasRunning, TaskOutcome.Completed, done);
                if (wasRunning)
                {
                    Tracker.Requeued(rest);
                }

                Requeue(task);
            }
            else
            {
                stoppedShort = false;
            }

            EnsureWorkersLocked();
            DispatchLocked();
        }

        if (recycled is not null)
        {
            RaiseEvent(WorkerEventKind.Recycled, worker, null, null, recycled, []);
        }

        if (stoppedShort)
        {
            return;
        }

        SpindleTelemetry.RecordWorkerRun(task.TraceParent, task.Function.DisplayName, worker.Id, worker.Pid, elapsed, task.Items, type == FrameType.Error);

        // Completing (deserializing the result) happens outside the gate; the body stays valid until the next read.
        switch (type)
        {
            case FrameType.Result:
                task.Complete(reply.Results, elapsed, wasRunning);
                break;
            case FrameType.Error:
                task.CompleteWithError(reply.Results, remoteError!, wasRunning);
                break;
            default:
                task.Cancel(wasRunning, task.CallerToken.IsCancellationRequested ? task.CallerToken : new CancellationToken(true));
                break;
        }
    }

    /// <summary>Stops sending to a worker; once it has answered everything it is told to stop.</summary>
    private static void RetireLocked(WorkerHandle worker)
    {
        worker.Retiring = true;
        if (worker.InFlight.Count == 0 && worker.Sink is { } sink && worker.State == WorkerState.Ready)
        {
            sink.Send(default(StopMessage));
        }
    }

    private void OnWorkerLost(WorkerHandle worker, Exception? cause)
    {
        // Kill the group first: the worker may be half-dead, and its tasks' children must not outlive it.
        worker.KillGroup();
        var (exitCode, signal) = worker.WaitForExit();
        var failed = new List<(ProcessTask Task, Exception? Error, bool Cancel)>();
        bool wasReady;
        var wasIdle = false;
        lock (_gate)
        {
            if (worker.State == WorkerState.Lost)
            {
                return;
            }

            wasReady = worker.State == WorkerState.Ready;
            worker.State = WorkerState.Lost;
            worker.Timer.Change(Timeout.Infinite, Timeout.Infinite);
            _workers.Remove(worker);
            var tasks = worker.InFlight.ToArray();
            worker.InFlight.Clear();
            wasIdle = tasks.Length == 0;

            // Everything sent behind the running task never started: back to the front of the queue, in order.
            for (var i = tasks.Length - 1; i >= 0; i--)
            {
                var task = tasks[i];
                if (task.IsFinished)
                {
                    continue;
                }

                if (task.State == ProcessTaskState.Running)
                {
                    var outcome = RunningTaskOutcome(worker, task, exitCode, signal, cause);
                    if (outcome is null)
                    {
                        // Retry: the crash cost this attempt only.
                        task.RetriesLeft--;
                        Interlocked.Increment(ref _retriedTasks);
                        Interlocked.Add(ref _retriedItems, task.Items);
                        Tracker.Requeued(task.Items);
                        Requeue(task);
                    }
                    else
                    {
                        failed.Add((task, outcome, outcome is OperationCanceledException));
                    }
                }
                else
                {
                    Requeue(task);
                }
            }

            EnsureWorkersLocked();
            DispatchLocked();
        }

        worker.Timer.Dispose();
        worker.Release();
        if (wasReady)
        {
            // Only a worker announced as started is announced as ended, so that a listener can count the live ones.
            RaiseLost(worker, exitCode, signal, cause, wasIdle);
        }

        foreach (var (task, error, cancel) in failed)
        {
            if (cancel)
            {
                task.Cancel(wasRunning: true, task.CallerToken.IsCancellationRequested ? task.CallerToken : new CancellationToken(true));
            }
            else
            {
                task.Fail(error!, wasRunning: true);
            }
        }
    }

    /// <summary>Tells the Events option how a started worker ended.</summary>
    private void RaiseLost(WorkerHandle worker, int? exitCode, int? signal, Exception? cause, bool wasIdle)
    {
        var (kind, reason) = worker.KillReason switch
        {
            KillReason.Timeout => (WorkerEventKind.TimedOutKilled, "its running task went past its timeout"),
            KillReason.Cancelled => (WorkerEventKind.Exited, "it was killed because its cancelled task did not stop within CancelGracePeriod"),
            KillReason.Shutdown => (WorkerEventKind.Exited, "it was killed because shutdown stopped waiting"),
            KillReason.MemoryLimit => (WorkerEventKind.Crashed, $"it exceeded twice its memory limit of {_options.MemoryLimitBytes} bytes (resident: {worker.LastRss} bytes) and was killed"),
            KillReason.ProtocolViolation => (WorkerEventKind.Crashed, $"it broke the channel's protocol ({cause?.Message})"),
            // Told to stop with nothing left to run: however it ended (this process kills the group of a worker whose
            // channel has closed), it did what it was asked.
            _ when worker.Retiring && wasIdle => (WorkerEventKind.Exited, "it was told to stop"),
            _ => (WorkerEventKind.Crashed, cause is null ? "the process ended" : $"its channel failed ({cause.Message})"),
        };
        RaiseEvent(kind, worker, exitCode, signal, reason, kind == WorkerEventKind.Exited ? [] : worker.StderrTail());
    }

    private void RaiseEvent(WorkerEventKind kind, WorkerHandle worker, int? exitCode, int? signal, string? reason, string[] stderrTail)
    {
        if (_options.Events is not { } events)
        {
            return;
        }

        try
        {
            events(new WorkerEvent(kind, Name, worker.Id, worker.Pid, exitCode, signal, reason, stderrTail));
        }
#pragma warning disable CA1031 // A listener's bug must not stop the executor from settling tasks and replacing workers.
        catch
        {
        }
#pragma warning restore CA1031
    }

    private void Requeue(ProcessTask task)
    {
        task.State = ProcessTaskState.Queued;
        task.Worker = null;
        task.CancelDeadline = 0;
        task.Node = _pending.AddFirst(task);
    }

    /// <summary>How the running task of a lost worker ends; null to run it again.</summary>
    private Exception? RunningTaskOutcome(WorkerHandle worker, ProcessTask task, int? exitCode, int? signal, Exception? cause) => worker.KillReason switch
    {
        KillReason.Timeout => new TaskTimeoutException(task.Timeout!.Value, hard: true),
        KillReason.Cancelled or KillReason.Shutdown => new OperationCanceledException(task.CallerToken),
        _ when task.RetriesLeft > 0 && !_stopping => null,
        KillReason.MemoryLimit => new WorkerCrashedException(worker.Id, worker.Pid, exitCode, signal,
            $"it exceeded twice its memory limit of {_options.MemoryLimitBytes} bytes (resident: {worker.LastRss} bytes) and was killed", worker.StderrTail()),
        KillReason.ProtocolViolation => new WorkerCrashedException(worker.Id, worker.Pid, exitCode, signal,
            $"it broke the channel's protocol ({cause?.Message})", worker.StderrTail()),
        _ => new WorkerCrashedException(worker.Id, worker.Pid, exitCode, signal,
            cause is null ? "the process ended" : $"its channel failed ({cause.Message})", worker.StderrTail()),
    };

    internal void OnWorkerExited(WorkerHandle worker)
    {
        bool neverConnected;
        lock (_gate)
        {
            neverConnected = worker.State == WorkerState.Starting;
        }

        if (neverConnected)
        {
            OnStartFailed(worker, null);
        }
    }

    private void OnStartFailed(WorkerHandle worker, Exception? cause)
    {
        worker.KillGroup();
        var (exitCode, signal) = worker.WaitForExit();
        List<ProcessTask> doomed = [];
        WorkerStartException? error = null;
        lock (_gate)
        {
            if (worker.State != WorkerState.Starting)
            {
                return;
            }

            worker.State = WorkerState.Lost;
            _workers.Remove(worker);
            _startFailures++;
            if (_startFailures >= 3 && !_workers.Any(static w => w.State == WorkerState.Ready))
            {
                // Three starts in a row failed and no worker is alive: waiting would hang every caller.
                error = StartError(worker, exitCode, signal, cause ?? worker.StartFailure);
                doomed.AddRange(_pending);
                _pending.Clear();
            }
            else
            {
                EnsureWorkersLocked();
            }
        }

        worker.Timer.Dispose();
        worker.Release();
        foreach (var task in doomed)
        {
            task.Node = null;
            task.Fail(error!, wasRunning: false);
        }
    }

    private WorkerStartException StartError(WorkerHandle worker, int? exitCode, int? signal, Exception? cause)
    {
        var command = worker.Process?.StartInfo is { } si ? $"{si.FileName} {string.Join(' ', si.ArgumentList)}" : "(not started)";
        var how = cause is not null ? cause.Message : signal is { } s ? $"it was killed by signal {s}" : exitCode is { } c ? $"it exited with code {c}" : $"it did not connect within {_options.StartTimeout.TotalSeconds:0} s";
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

    private void EnsureWorkersLocked()
    {
        if (_stopping || (_startFailures >= 3 && !_workers.Any(static w => w.State == WorkerState.Ready)))
        {
            return;
        }

        var active = _workers.Count(static w => !w.Retiring);
        var wanted = _options.Start == WorkerStart.Eager
            ? _options.MaxWorkers
            : Math.Min(_options.MaxWorkers, active + _pending.Count);
        for (var i = active; i < wanted; i++)
        {
            var worker = new WorkerHandle(this, Interlocked.Increment(ref _nextWorkerId));
            _workers.Add(worker);

            // Launching forks a process: done off the gate, and in parallel for several workers.
            ThreadPool.UnsafeQueueUserWorkItem(static s => s.Self.Launch(s.Worker), (Self: this, Worker: worker), preferLocal: false);
        }
    }

    private void Launch(WorkerHandle worker)
    {
        try
        {
            worker.Launch(WorkerLaunch.StartInfo(_options, worker.Id, _socketPath), _tokenHex);
            var startTimeout = _options.StartTimeout;
            // Cancelled once the worker connects or is gone, so that a pending timer does not keep the handle alive.
            _ = Task.Delay(startTimeout, worker.Connected).ContinueWith(
                t =>
                {
                    if (t.IsCanceled)
                    {
                        return;
                    }

                    lock (_gate)
                    {
                        if (worker.State != WorkerState.Starting)
                        {
                            return;
                        }
                    }

                    OnStartFailed(worker, null);
                },
                TaskScheduler.Default);
        }
#pragma warning disable CA1031 // Any failure to start a process is reported to the tasks waiting for a worker.
        catch (Exception e)
#pragma warning restore CA1031
        {
            OnStartFailed(worker, e);
        }
    }

    private async Task AcceptLoopAsync()
    {
        while (true)
        {
            Socket connection;
            try
            {
                connection = await _listener.AcceptAsync();
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                return;
            }

            _ = Task.Run(() => Handshake(connection));
        }
    }

    /// <summary>Authenticates a new connection: the right token, a worker we started, its own pid. Anything else is refused.</summary>
    private void Handshake(Socket connection)
    {
        var stream = new NetworkStream(connection, ownsSocket: true);
        try
        {
            connection.ReceiveTimeout = 5000;
            var reader = new FrameReader(new BufferedStream(stream, 64 * 1024), 1024);
            if (!reader.TryRead(out var type, out var body) || type != FrameType.Hello)
            {
                throw new InvalidDataException("The first frame was not a hello.");
            }

            var (token, workerId, pid, app) = HelloMessage.Read(body);
            if (!CryptographicOperations.FixedTimeEquals(token.Span, _token))
            {
                throw new InvalidDataException("The token was wrong.");
            }

            WorkerHandle? worker;
            lock (_gate)
            {
                worker = _workers.Find(w => w.Id == workerId && w.State == WorkerState.Starting && w.Pid == pid);
            }

            if (worker is null)
            {
                throw new InvalidDataException($"No worker {workerId} with pid {pid} is waiting to connect.");
            }

            if (_options.Command is null && app is not null && app != WorkerLaunch.AppName)
            {
                // Spindle's startup hook ran, but in another program (the .NET SDK, when 'dotnet out/App.dll' is
                // re-executed from another directory): its tasks could not be this app's.
                // Recorded before the kill, whose exit event would otherwise report a plain signal first.
                worker.StartFailure = new WorkerStartException(
                    $"it started '{(app.Length == 0 ? "an unnamed program" : app)}' instead of this app ('{WorkerLaunch.AppName}')");
                stream.Dispose();
                OnStartFailed(worker, worker.StartFailure);
                return;
            }

            connection.ReceiveTimeout = 0;
            reader.MaxFrameBytes = _options.MaxFrameBytes;
            worker.Attach(stream, reader, ReadLoop);
            SendWelcome(worker);
            lock (_gate)
            {
                if (worker.State != WorkerState.Starting)
                {
                    return;
                }

                worker.State = WorkerState.Ready;
                _startFailures = 0;
                if (_stopping)
                {
                    RetireLocked(worker);
                }

                DispatchLocked();
            }

            worker.OnConnected();
            RaiseEvent(WorkerEventKind.Started, worker, null, null, null, []);
        }
        catch (Exception e) when (e is InvalidDataException or IOException or SocketException)
        {
            Interlocked.Increment(ref _rejectedConnections);
            stream.Dispose();
        }
    }

    private void SendWelcome(WorkerHandle worker)
    {
        var initializer = _options.Initializer is { } init ? FunctionRef.For(init, "the Initializer option").Method : (MethodRef?)null;
        worker.Sink!.Send(new WelcomeMessage(initializer));
    }

    /// <summary>Checks memory limits and idle workers, a few times a second.</summary>
    private void Monitor()
    {
        List<WorkerHandle> kill = [];
        lock (_gate)
        {
            foreach (var worker in _workers)
            {
                if (worker.State != WorkerState.Ready)
                {
                    continue;
                }

                if (_options.MemoryLimitBytes is { } limit && worker.InFlight.Count > 0)
                {
                    var rss = Native.ResidentBytes(worker.Pid);
                    if (rss > 2 * limit)
                    {
                        worker.LastRss = rss;
                        worker.KillReason ??= KillReason.MemoryLimit;
                        kill.Add(worker);
                    }
                }

                if (_options.IdleTimeout is { } idle && worker.InFlight.Count == 0 && !worker.Retiring
                    && Environment.TickCount64 - worker.LastActivity > idle.TotalMilliseconds && _pending.Count == 0)
                {
                    RetireLocked(worker);
                }
            }
        }

        foreach (var worker in kill)
        {
            worker.KillGroup();
        }
    }

    /// <summary>
    /// Hands a worker's output line to the Output option, or echoes it to this process's console. A dying worker's
    /// crash report (tens of lines for a stack overflow) is not echoed: its last lines are in the task's exception.
    /// </summary>
    internal void ForwardOutput(WorkerOutputLine line, bool crashReport)
    {
        if (_options.Output is { } output)
        {
            output(line);
            return;
        }

        if (crashReport)
        {
            return;
        }

        var writer = line.IsError ? Console.Error : Console.Out;
        writer.WriteLine($"[{Name} worker {line.WorkerId}] {line.Line}");
    }

    private protected override void CancelPending()
    {
        List<ProcessTask> cancelled = [];
        lock (_gate)
        {
            cancelled.AddRange(_pending);
            _pending.Clear();
            foreach (var worker in _workers)
            {
                foreach (var task in worker.InFlight)
                {
                    if (task.State == ProcessTaskState.Sent && !task.IsFinished)
                    {
                        SendCancelLocked(task);
                        cancelled.Add(task);
                    }
                }
            }
        }

        var token = new CancellationToken(canceled: true);
        foreach (var task in cancelled)
        {
            task.Node = null;
            task.Cancel(wasRunning: false, token);
        }
    }

    private protected override void CancelRunning()
    {
        WorkerHandle[] workers;
        lock (_gate)
        {
            _stopping = true;
            workers = [.. _workers];
            foreach (var worker in workers)
            {
                worker.KillReason ??= KillReason.Shutdown;
            }
        }

        CancelPending();
        foreach (var worker in workers)
        {
            worker.KillGroup();
        }
    }

    private protected override async ValueTask StopCoreAsync()
    {
        WorkerHandle[] workers;
        lock (_gate)
        {
            _stopping = true;
            workers = [.. _workers];
            foreach (var worker in workers)
            {
                RetireLocked(worker);
            }
        }

        foreach (var worker in workers)
        {
            if (worker.Process is { } process)
            {
                using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                try
                {
                    await process.WaitForExitAsync(wait.Token);
                }
                catch (OperationCanceledException)
                {
                    worker.KillGroup();
                }
                catch (InvalidOperationException)
                {
                    // It ended and was released already (ObjectDisposedException is one of these).
                }
            }
        }

        if (_monitor is not null)
        {
            await _monitor.DisposeAsync();
        }

        Release();
    }

    /// <summary>Closes the listener and removes the socket directory.</summary>
    private void Release()
    {
        AppDomain.CurrentDomain.ProcessExit -= _onProcessExit;
        _listener.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }

        _janitor?.Dispose();
    }

    /// <summary>Kills every worker and its task children, and removes the socket directory, as this process exits.</summary>
    private void KillAll()
    {
        WorkerHandle[] workers;
        lock (_gate)
        {
            _stopping = true;
            workers = [.. _workers];
        }

        foreach (var worker in workers)
        {
            worker.KillGroup();
        }

        Release();
    }

    private static ProcessExecutorOptions Validated(ProcessExecutorOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS())
        {
            throw new PlatformNotSupportedException("Executor.Processes needs Unix domain sockets and process groups, available on Linux and macOS.");
        }

        return options;
    }
}
