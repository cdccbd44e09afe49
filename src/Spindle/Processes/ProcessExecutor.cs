using System.Diagnostics;
using Spindle.Diagnostics;
using Spindle.Internal;
using Spindle.Processes.Protocol;

namespace Spindle.Processes;

/// <summary>
/// The process executor: N worker processes (this app, re-executed), each running one task at a time. This type is
/// the scheduler; the processes themselves are the <see cref="WorkerSet"/>'s.
/// </summary>
/// <remarks>
/// <code>
///  Submit/Map ──► pending queue ──dispatch──► worker 1: [running][sent][sent]  ◄── FIFO: replies come in order
///  (this process,  (cancellable        │      worker 2: [running][sent]
///   serializes     without any         │         ▲ Unix socket, 0700 dir, token handshake, length-prefixed frames
///   the argument)  worker knowing)     └─ depth per worker adapts to task length (tiny: deep pipeline; long: 1)
///                                        and never past a fair share of what is outstanding: the rest waits in the queue
///
///  reply ──► reader thread ──► pop the oldest task, mark the next one running, dispatch more, complete the task
///  worker lost ──► its running task fails (WorkerCrashedException, or timeout/cancel if the parent killed it);
///                  tasks sent behind it never started, so they go back to the front of the queue; a new worker starts
/// </code>
/// Who does what: this type (pending queue, dispatch, pipelining depth, replies, cancellation, requeueing);
/// <see cref="WorkerSet"/> (launch, accept and handshake, start timeout, monitor, replacing lost workers, the kill on
/// exit); <see cref="WorkerHandle"/> (one process: its channel, its FIFO, its deadline timer); <see cref="WorkerOutput"/>
/// (a worker's stdout and stderr). All scheduling state (the pending queue, the worker list, each worker's FIFO, task
/// and worker states) is guarded by one lock, _gate, shared with the worker set: a reply, a crash, a cancellation, a
/// dispatch and a worker's arrival must each see the same picture of who runs what.
/// </remarks>
internal sealed partial class ProcessExecutor : Executor
{
    private readonly object _gate = new();
    private readonly ProcessExecutorOptions _options;
    private readonly LinkedList<ProcessTask> _pending = new();
    private readonly WorkerSet _workerSet;

    // The worker set's list, read by dispatch under the gate without going through the set.
    private readonly List<WorkerHandle> _workers;
    private long _nextTaskId;
    private long _retriedTasks;
    private long _retriedItems;

    public ProcessExecutor(ProcessExecutorOptions options)
        : base(Validated(options).Name)
    {
        _options = options;
        _workerSet = new WorkerSet(this, _gate, options);
        _workers = _workerSet.Workers;
        if (options.Start == WorkerStart.Eager)
        {
            lock (_gate)
            {
                _workerSet.EnsureLocked(_pending.Count);
            }
        }
    }

    public override Technique Technique => Technique.Processes;

    internal int MaxWorkers => _options.MaxWorkers;

    /// <summary>What tests and diagnostics read about the worker processes (pids, socket, refused connections, retries).</summary>
    internal WorkerSetDiagnostics Diagnostics => new(_workerSet, Volatile.Read(ref _retriedTasks), Volatile.Read(ref _retriedItems));

    /// <summary>The tasks waiting for a worker; read under the gate.</summary>
    internal int PendingCountLocked => _pending.Count;

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
    internal Task<MapBatchOutcome<TResult>> SubmitBatch<TArg, TResult>(FunctionRef function, TArg[] items, TaskOptions options, BatchSizer sizer, CancellationToken cancellationToken)
    {
        var payload = PayloadSerializer.SerializeArgument(items, "Map items");
        var activity = SpindleTelemetry.StartTask(this, "spindle.map.batch", function.DisplayName, items.Length);

        // The batch's span is current while the task is made, so that the batch's run in a worker is its child.
        var caller = Activity.Current;
        Activity.Current = activity ?? caller;
        var task = new BatchTask<TResult>(this, function, payload, items.Length, options, sizer, cancellationToken);
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
            _workerSet.EnsureLocked(_pending.Count);
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
                    task.Worker!.ArmTimerLocked();
                    return;
            }
        }

        task.Cancel(wasRunning, task.CallerToken);
    }

    private static void SendCancelLocked(ProcessTask task)
    {
        task.Worker?.Sink?.Send(new CancelMessage(task.Id));
    }

    /// <summary>Sends the oldest pending tasks to the least busy workers with room in their pipeline.</summary>
    internal void DispatchLocked()
    {
        if (_pending.Count == 0)
        {
            return;
        }

        // A worker's pipeline holds at most its fair share of the work outstanding, the rest waits here for whichever
        // worker frees first. Depths are measured per worker and can differ widely (a worker whose first tasks were
        // slowed by the JIT pipelines one task, one that ran tiny tasks 64): without the share, 40 long tasks after
        // tiny ones went 39 to one worker and 1 to the other, and ran at the speed of one.
        var workers = 0;
        var outstanding = _pending.Count;
        foreach (var w in _workers)
        {
            if (w.State != WorkerState.Lost && !w.Retiring)
            {
                workers++;
                outstanding += w.InFlight.Count;
            }
        }

        var share = (outstanding + Math.Max(1, workers) - 1) / Math.Max(1, workers);
        while (_pending.First is { } node)
        {
            WorkerHandle? best = null;
            foreach (var w in _workers)
            {
                if (w.State == WorkerState.Ready && !w.Retiring && w.InFlight.Count < Math.Min(w.Depth, share) && (best is null || w.InFlight.Count < best.InFlight.Count))
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
        worker.StartRunningLocked(task);
        if (!task.IsFinished)
        {
            Tracker.Started(task.Items);
        }

        worker.ArmTimerLocked();
    }

    /// <summary>Settles the task a worker answered, then dispatches more; called on the worker's reader thread.</summary>
    internal void OnReply(WorkerHandle worker, FrameType type, ReadOnlyMemory<byte> body)
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
            worker.RecordReplyLocked(rss);
            if (type != FrameType.Cancelled)
            {
                worker.ObserveServiceTimeLocked(elapsed / Math.Max(1, task.Items));
            }

            if (worker.InFlight.TryPeek(out var next))
            {
                MarkRunningLocked(worker, next);
            }
            else
            {
                worker.ArmTimerLocked();
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

                worker.RetireLocked();
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

                RequeueLocked(task);
            }
            else
            {
                stoppedShort = false;
            }

            _workerSet.EnsureLocked(_pending.Count);
            DispatchLocked();
        }

        if (recycled is not null)
        {
            _workerSet.RaiseEvent(WorkerEventKind.Recycled, worker, null, null, recycled, []);
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

    /// <summary>
    /// Takes back the tasks of a lost worker: everything sent behind the running task never started and goes back to
    /// the front of the queue, in order; the running one runs again if it has retries left, or is added to
    /// <paramref name="failed"/> to be ended outside the gate. Returns whether the worker had no task.
    /// </summary>
    internal bool TakeBackLocked(WorkerHandle worker, int? exitCode, int? signal, Exception? cause, bool stopping, List<(ProcessTask Task, Exception Error)> failed)
    {
        var tasks = worker.InFlight.ToArray();
        worker.InFlight.Clear();
        for (var i = tasks.Length - 1; i >= 0; i--)
        {
            var task = tasks[i];
            if (task.IsFinished)
            {
                continue;
            }

            if (task.State == ProcessTaskState.Running)
            {
                var outcome = RunningTaskOutcome(worker, task, exitCode, signal, cause, stopping);
                if (outcome is null)
                {
                    // Retry: the crash cost this attempt only.
                    task.RetriesLeft--;
                    Interlocked.Increment(ref _retriedTasks);
                    Interlocked.Add(ref _retriedItems, task.Items);
                    Tracker.Requeued(task.Items);
                    RequeueLocked(task);
                }
                else
                {
                    failed.Add((task, outcome));
                }
            }
            else
            {
                RequeueLocked(task);
            }
        }

        return tasks.Length == 0;
    }

    /// <summary>Ends the running tasks of a lost worker, outside the gate.</summary>
    internal static void EndLost(List<(ProcessTask Task, Exception Error)> failed)
    {
        foreach (var (task, error) in failed)
        {
            if (error is OperationCanceledException)
            {
                task.Cancel(wasRunning: true, task.CallerToken.IsCancellationRequested ? task.CallerToken : new CancellationToken(true));
            }
            else
            {
                task.Fail(error, wasRunning: true);
            }
        }
    }

    /// <summary>Empties the pending queue, for when no worker can start; the caller fails what it returns.</summary>
    internal List<ProcessTask> TakeAllPendingLocked()
    {
        List<ProcessTask> taken = [.. _pending];
        _pending.Clear();
        return taken;
    }

    private void RequeueLocked(ProcessTask task)
    {
        task.State = ProcessTaskState.Queued;
        task.Worker = null;
        task.CancelDeadline = 0;
        task.Node = _pending.AddFirst(task);
    }

    /// <summary>How the running task of a lost worker ends; null to run it again.</summary>
    private Exception? RunningTaskOutcome(WorkerHandle worker, ProcessTask task, int? exitCode, int? signal, Exception? cause, bool stopping) => worker.KillReason switch
    {
        KillReason.Timeout => new TaskTimeoutException(task.Timeout!.Value, hard: true),
        KillReason.Cancelled or KillReason.Shutdown => new OperationCanceledException(task.CallerToken),
        _ when task.RetriesLeft > 0 && !stopping => null,
        _ => new WorkerCrashedException(worker.Id, worker.Pid, exitCode, signal, WorkerEndings.CrashReason(worker, cause, _options.MemoryLimitBytes), worker.StderrTail()),
    };

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
        var workers = _workerSet.Stop(KillReason.Shutdown);
        CancelPending();
        foreach (var worker in workers)
        {
            worker.KillGroup();
        }
    }

    private protected override ValueTask StopCoreAsync() => _workerSet.StopAsync();

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
