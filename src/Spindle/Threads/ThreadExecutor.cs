using Spindle.Internal;
namespace Spindle.Threads;

/// <summary>
/// The thread executor: async work on the I/O lane, synchronous work on the CPU lane's dedicated threads.
/// A declared or per-call kind moves work across: IoBound sync work (blocking calls) to the I/O lane,
/// CpuBound async work to the CPU lane.
/// </summary>
internal sealed partial class ThreadExecutor : Executor, IPipelineHost
{
    private readonly IoLane _io;
    private readonly CpuLane _cpu;
    private readonly CancellationTokenSource _stop = new();

    // Set by whoever waits for the executor to go idle (a pipeline putting its executor back); completed when the
    // outstanding count comes back down to the executor's own reference.
    private TaskCompletionSource? _idleWaiter;

    public ThreadExecutor(ThreadExecutorOptions options)
        : base(Validated(options).Name)
    {
        _io = new IoLane(options.IoConcurrency);
        _cpu = new CpuLane(options.Name, options.CpuThreads);
    }

    public override Technique Technique => Technique.Threads;

    public CancellationToken StopToken => _stop.Token;

    public bool IsIdle => !IsShutdown && Outstanding == 1;

    internal IoLane Io => _io;

    private protected override int DefaultMaxInFlight => 2 * Math.Max(_io.Concurrency, _cpu.Concurrency);

    /// <summary>Runs work on the given lane; used by Auto, which chooses lanes itself.</summary>
    internal Task<TResult> SubmitTo<TArg, TResult>(WorkKind lane, Work<TArg, TResult> work, TArg arg, TaskOptions options, CancellationToken cancellationToken) =>
        Enqueue(lane, work, arg, options, continueHere: false, cancellationToken);

    public Task<TResult> SubmitContinuingHere<TArg, TResult>(Work<TArg, TResult> work, TArg arg, TaskOptions options) =>
        Enqueue(LaneOf(work, options), work, arg, options, continueHere: true, CancellationToken.None);

    public Task WhenIdleAsync()
    {
        var waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        // The exchange, then the count; a task's end changes the count, then reads the waiter. With a full fence in
        // each, one of the two sees the other, so the waiter cannot miss the last task's end.
        Interlocked.Exchange(ref _idleWaiter, waiter);
        if (Outstanding == 1)
        {
            waiter.TrySetResult();
        }

        return waiter.Task;
    }

    internal void OnTaskEnded()
    {
        if (ReleaseOutstanding() == 1)
        {
            Volatile.Read(ref _idleWaiter)?.TrySetResult();
        }
    }

    private protected override Task<TResult> SubmitCore<TArg, TResult>(Work<TArg, TResult> work, TArg arg, TaskOptions options, CancellationToken cancellationToken) =>
        Enqueue(LaneOf(work, options), work, arg, options, continueHere: false, cancellationToken);

    private static WorkKind LaneOf<TArg, TResult>(Work<TArg, TResult> work, TaskOptions options) => options.Kind switch
    {
        WorkKind.IoBound => WorkKind.IoBound,
        WorkKind.CpuBound => WorkKind.CpuBound,
        WorkKind.Isolated => throw new ArgumentException(
            "Work of kind Isolated needs a worker process; submit it to Executor.Processes() or Executor.Auto() instead of Executor.Threads().",
            nameof(options)),
        _ => work.IsAsync ? WorkKind.IoBound : WorkKind.CpuBound,
    };

    private Task<TResult> Enqueue<TArg, TResult>(WorkKind lane, Work<TArg, TResult> work, TArg arg, TaskOptions options, bool continueHere, CancellationToken cancellationToken)
    {
        AcceptTask();
        Tracker.Queued();
        ILane target = lane == WorkKind.IoBound ? _io : _cpu;
        var item = new ThreadWorkItem<TArg, TResult>(this, target, work, arg, options.Timeout, cancellationToken, continueHere);
        target.Enqueue(item);
        return item.Task;
    }

    private protected override void CancelPending()
    {
        var cancelled = new CancellationToken(canceled: true);
        _io.CancelPending(cancelled);
        _cpu.CancelPending(cancelled);
    }

    private protected override void CancelRunning() => _stop.Cancel();

    private protected override ValueTask StopCoreAsync()
    {
        _cpu.Stop();
        _io.Stop();

        // Joining the lane threads could block a caller's thread; they exit promptly once stopped, so the
        // join happens on the pool.
        return new ValueTask(Task.Run(() =>
        {
            _cpu.Dispose();
            _stop.Dispose();
        }));
    }

    private static ThreadExecutorOptions Validated(ThreadExecutorOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        return options;
    }
}
