using System.Diagnostics;
using System.Runtime.ExceptionServices;
using Spindle.Internal;

namespace Spindle.Threads;

/// <summary>
/// A run of consecutive Map items handed to a CPU lane thread as one work item, so that tiny items do not each
/// pay for a Task, a queue slot and a wake-up. Items run in order; the first failure ends the run, and items
/// after it are counted as cancelled (the Map ends at that failure anyway).
/// </summary>
/// <remarks>
/// Progress is counted per item but published per batch: while a batch runs, one item counts as running and the
/// rest as queued, and all of its outcomes land when it ends. Batches are kept to a fraction of a millisecond,
/// and a Map whose executor has ProgressChanged listeners uses batches of one, so each item raises its events.
/// </remarks>
internal sealed class ThreadBatch<TArg, TResult> : ThreadWorkItem
{
    private const int Pending = 0;
    private const int Running = 1;
    private const int Done = 2;

    private readonly ThreadExecutor _owner;
    private readonly ILane _lane;
    private readonly Func<TArg, CancellationToken, TResult> _work;
    private readonly TArg[] _args;
    private readonly int _count;
    private readonly CancellationToken _token;
    private readonly BatchSizer _sizer;

    // Continuations run asynchronously so that the Map's consumer, and the user code it yields to, never runs
    // on a CPU lane thread.
    private readonly TaskCompletionSource<MapBatchOutcome<TResult>> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _state;

    public ThreadBatch(ThreadExecutor owner, ILane lane, Func<TArg, CancellationToken, TResult> work, TArg[] args, int count, BatchSizer sizer, CancellationToken token)
    {
        _owner = owner;
        _lane = lane;
        _work = work;
        _args = args;
        _count = count;
        _token = token;
        _sizer = sizer;
    }

    /// <summary>Completes when the batch has ended, with the results of the items that ran; it never faults.</summary>
    public Task<MapBatchOutcome<TResult>> Task => _completion.Task;

    public override bool TryCancelPending(CancellationToken token)
    {
        if (Interlocked.CompareExchange(ref _state, Done, Pending) != Pending)
        {
            return false;
        }

        _owner.Tracker.FinishedBatch(wasRunning: false, _count, completed: 0, failed: 0, cancelled: _count);
        _completion.TrySetResult(new MapBatchOutcome<TResult>([], 0, null));
        _owner.OnTaskEnded();
        return true;
    }

    public override void Execute()
    {
        if (Interlocked.CompareExchange(ref _state, Running, Pending) != Pending)
        {
            _lane.OnTaskDone();
            return;
        }

        _owner.Tracker.Started();
        var results = new TResult[_count];
        ExceptionDispatchInfo? error = null;
        var failed = 0;
        var start = Stopwatch.GetTimestamp();
        var i = 0;
        for (; i < _count; i++)
        {
            if (_token.IsCancellationRequested)
            {
                break;
            }

            try
            {
                results[i] = _work(_args[i], _token);
            }
#pragma warning disable CA1031 // The item's exception is handed, unchanged, to the Map's consumer.
            catch (Exception e)
#pragma warning restore CA1031
            {
                // A cancellation the Map asked for counts as cancelled, as it does for a single task.
                if (!(e is OperationCanceledException && _token.IsCancellationRequested))
                {
                    error = ExceptionDispatchInfo.Capture(e);
                    failed = 1;
                }

                break;
            }
        }

        _sizer.Record(i, Stopwatch.GetTimestamp() - start);
        Volatile.Write(ref _state, Done);
        _owner.Tracker.FinishedBatch(wasRunning: true, _count, completed: i, failed, cancelled: _count - i - failed);
        _completion.TrySetResult(new MapBatchOutcome<TResult>(results, i, error));
        _lane.OnTaskDone();
        _owner.OnTaskEnded();
    }
}
