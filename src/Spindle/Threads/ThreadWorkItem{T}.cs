using Spindle.Diagnostics;
using Spindle.Internal;

namespace Spindle.Threads;

/// <summary>
/// One task on the thread executor: its work, argument, completion source, and the cancellation and timeout
/// rules. A state word decides, without a lock, whether cancellation or a lane thread gets to it first.
/// </summary>
internal sealed class ThreadWorkItem<TArg, TResult> : ThreadWorkItem
{
    private const int Pending = 0;
    private const int Running = 1;
    private const int Done = 2;

    private readonly Work<TArg, TResult> _work;
    private readonly TArg _arg;
    private readonly TimeSpan? _timeout;
    private readonly CancellationToken _callerToken;
    private readonly ThreadExecutor _owner;
    private readonly ILane _lane;
    private readonly TaskCompletionSource<TResult> _completion;
    private readonly CancellationTokenRegistration _pendingRegistration;
    private readonly bool _blockOnAsync;
    private CancellationTokenSource? _runCts;
    private int _state;

    public ThreadWorkItem(ThreadExecutor owner, ILane lane, Work<TArg, TResult> work, TArg arg, TimeSpan? timeout, CancellationToken callerToken, bool continueHere = false)
    {
        // A user's continuation must never run on a lane thread (it could block it, or run long); Spindle's own
        // stage code, which only passes results on and submits the next task, may (see IPipelineHost.SubmitContinuingHere).
        ContinuesOnExecutor = continueHere;
        _completion = new(continueHere ? TaskCreationOptions.None : TaskCreationOptions.RunContinuationsAsynchronously);
        _owner = owner;
        _lane = lane;
        _work = work;
        _arg = arg;
        _timeout = timeout;
        _callerToken = callerToken;
        _blockOnAsync = lane is CpuLane;
        if (callerToken.CanBeCanceled)
        {
            // While pending, the caller's token ends the task at once; once running, the run token carries it.
            _pendingRegistration = callerToken.UnsafeRegister(static s => ((ThreadWorkItem<TArg, TResult>)s!).TryCancelPending(default), this);
        }
    }

    public Task<TResult> Task => _completion.Task;

    public override bool TryCancelPending(CancellationToken token)
    {
        if (Interlocked.CompareExchange(ref _state, Done, Pending) != Pending)
        {
            return false;
        }

        _pendingRegistration.Dispose();
        _owner.Tracker.Finished(wasRunning: false, TaskOutcome.Cancelled);
        _completion.TrySetCanceled(_callerToken.IsCancellationRequested ? _callerToken : token);
        _owner.OnTaskEnded();
        return true;
    }

    public override void Execute()
    {
        if (Interlocked.CompareExchange(ref _state, Running, Pending) != Pending)
        {
            // Cancelled while it waited: the lane's slot is free again.
            _lane.OnTaskDone();
            return;
        }

        _pendingRegistration.Dispose();
        _owner.Tracker.Started();
        var token = StartRunToken();

        if (_work.Sync is not null || _blockOnAsync)
        {
            try
            {
                Finish(_work.RunBlocking(_arg, token), null);
            }
#pragma warning disable CA1031 // The task's exception is handed, unchanged, to whoever awaits it.
            catch (Exception e)
#pragma warning restore CA1031
            {
                Finish(default, e);
            }

            return;
        }

        Task<TResult> running;
        try
        {
            running = _work.Async!(_arg, token);
        }
#pragma warning disable CA1031
        catch (Exception e)
#pragma warning restore CA1031
        {
            Finish(default, e);
            return;
        }

        if (running.IsCompleted)
        {
            FinishFrom(running);
        }
        else
        {
            running.ConfigureAwait(false).GetAwaiter().UnsafeOnCompleted(() => FinishFrom(running));
        }
    }

    private CancellationToken StartRunToken()
    {
        if (!_callerToken.CanBeCanceled && _timeout is null)
        {
            // The common case costs no allocation: only a shutdown that stops waiting cancels the task.
            return _owner.StopToken;
        }

        _runCts = CancellationTokenSource.CreateLinkedTokenSource(_callerToken, _owner.StopToken);
        if (_timeout is { } t)
        {
            _runCts.CancelAfter(t);
        }

        return _runCts.Token;
    }

    private void FinishFrom(Task<TResult> running)
    {
        if (running.IsCompletedSuccessfully)
        {
            Finish(running.Result, null);
        }
        else if (running.IsCanceled)
        {
            Finish(default, new TaskCanceledException(running));
        }
        else
        {
            Finish(default, running.Exception!.InnerExceptions.Count == 1 ? running.Exception.InnerException : running.Exception);
        }
    }

    private void Finish(TResult? result, Exception? error)
    {
        Volatile.Write(ref _state, Done);
        // The run token links only the caller's token and the executor's stop token; if it was cancelled
        // while neither of those was, its timer fired.
        var timedOut = _timeout is not null && _runCts!.IsCancellationRequested
            && !_callerToken.IsCancellationRequested && !_owner.StopToken.IsCancellationRequested;
        _runCts?.Dispose();

        if (ContinuesOnExecutor)
        {
            // The continuation runs inside the completion below and may submit the next task at once: the lane's
            // slot is given back first, so that task can start rather than queue behind this one.
            _lane.OnTaskDone();
        }

        TaskOutcome outcome;
        if (timedOut)
        {
            // A deadline that passed fails the task even if the work ignored its token and returned.
            outcome = TaskOutcome.Failed;
            _owner.Tracker.Finished(wasRunning: true, outcome);
            _completion.TrySetException(new TaskTimeoutException(_timeout!.Value, hard: false, error));
        }
        else if (error is OperationCanceledException && (_callerToken.IsCancellationRequested || _owner.StopToken.IsCancellationRequested))
        {
            outcome = TaskOutcome.Cancelled;
            _owner.Tracker.Finished(wasRunning: true, outcome);
            _completion.TrySetCanceled(_callerToken.IsCancellationRequested ? _callerToken : _owner.StopToken);
        }
        else if (error is not null)
        {
            outcome = TaskOutcome.Failed;
            _owner.Tracker.Finished(wasRunning: true, outcome);
            _completion.TrySetException(error);
        }
        else
        {
            outcome = TaskOutcome.Completed;
            _owner.Tracker.Finished(wasRunning: true, outcome);
            _completion.TrySetResult(result!);
        }

        if (!ContinuesOnExecutor)
        {
            _lane.OnTaskDone();
        }

        _owner.OnTaskEnded();
    }
}
