using System.Diagnostics;
using System.Runtime.ExceptionServices;

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
    private readonly CancellationToken _token;
    private readonly MapBatchSizer _sizer;

    // Continuations run asynchronously so that the Map's consumer, and the user code it yields to, never runs
    // on a CPU lane thread.
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _state;

    public ThreadBatch(ThreadExecutor owner, ILane lane, Func<TArg, CancellationToken, TResult> work, TArg[] args, int count, MapBatchSizer sizer, CancellationToken token)
    {
        _owner = owner;
        _lane = lane;
        _work = work;
        _args = args;
        Count = count;
        _token = token;
        _sizer = sizer;
        Results = new TResult[count];
    }

    /// <summary>How many items the batch holds.</summary>
    public int Count { get; }

    /// <summary>The results of the items that completed, in order, from index 0 up to <see cref="Completed"/>.</summary>
    public TResult[] Results { get; }

    /// <summary>How many items, from the start, completed with a result.</summary>
    public int Completed { get; private set; }

    /// <summary>Completes when the batch has ended; it never faults (read <see cref="Completed"/> and <see cref="ThrowIfEnded"/>).</summary>
    public Task Task => _completion.Task;

    private ExceptionDispatchInfo? Error { get; set; }

    /// <summary>Rethrows, unchanged, why the batch stopped before its end: the failing item's exception, or cancellation.</summary>
    public void ThrowIfEnded()
    {
        Error?.Throw();
        if (Completed < Count)
        {
            throw new TaskCanceledException("The Map was cancelled before all of its items ran.", null, _token);
        }
    }

    public override bool TryCancelPending(CancellationToken token)
    {
        if (Interlocked.CompareExchange(ref _state, Done, Pending) != Pending)
        {
            return false;
        }

        _owner.Tracker.FinishedBatch(wasRunning: false, Count, completed: 0, failed: 0, cancelled: Count);
        _completion.TrySetResult();
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
        var failed = 0;
        var start = Stopwatch.GetTimestamp();
        var i = 0;
        for (; i < Count; i++)
        {
            if (_token.IsCancellationRequested)
            {
                break;
            }

            try
            {
                Results[i] = _work(_args[i], _token);
            }
#pragma warning disable CA1031 // The item's exception is handed, unchanged, to the Map's consumer.
            catch (Exception e)
#pragma warning restore CA1031
            {
                // A cancellation the Map asked for counts as cancelled, as it does for a single task.
                if (!(e is OperationCanceledException && _token.IsCancellationRequested))
                {
                    Error = ExceptionDispatchInfo.Capture(e);
                    failed = 1;
                }

                break;
            }
        }

        _sizer.Record(i, Stopwatch.GetTimestamp() - start);
        Completed = i;
        Volatile.Write(ref _state, Done);
        _owner.Tracker.FinishedBatch(wasRunning: true, Count, completed: i, failed, cancelled: Count - i - failed);

        // Written before the completion is set, so the consumer that awaits Task sees Completed and Error.
        _completion.TrySetResult();
        _lane.OnTaskDone();
        _owner.OnTaskEnded();
    }
}
