using System.Runtime.ExceptionServices;
using Spindle.Diagnostics;
using Spindle.Internal;

namespace Spindle.Processes;

/// <summary>Where a task is in its life on the process executor.</summary>
internal enum ProcessTaskState
{
    /// <summary>In the executor's pending queue; cancellable without any worker knowing.</summary>
    Queued,

    /// <summary>Sent to a worker, behind the task it is running.</summary>
    Sent,

    /// <summary>The oldest task on its worker: the one the worker is running.</summary>
    Running,
}

/// <summary>
/// A task (one item, or a batch of Map items) as the scheduler sees it. Fields other than the completion are
/// guarded by the executor's gate; completion is once-only through <see cref="TryFinish"/>.
/// </summary>
internal abstract class ProcessTask(ProcessExecutor owner, FunctionRef function, byte[] payload, bool isBatch, int items, TaskOptions options, CancellationToken callerToken)
{
    private int _finished;

    public long Id { get; } = owner.NextTaskId();

    public FunctionRef Function { get; } = function;

    /// <summary>The serialized argument; for a batch stopped short, the items still to run.</summary>
    public byte[] Payload { get; private set; } = payload;

    public bool IsBatch { get; } = isBatch;

    /// <summary>The items still to run: one, or a batch's (fewer once a worker has stopped it short).</summary>
    public int Items { get; private set; } = items;

    public TimeSpan? Timeout { get; } = options.Timeout;

    public int RetriesLeft { get; set; } = options.Retries;

    public CancellationToken CallerToken { get; } = callerToken;

    /// <summary>The caller's trace (W3C traceparent) when it submitted, carried into the worker.</summary>
    public string? TraceParent { get; } = System.Diagnostics.Activity.Current is { IdFormat: System.Diagnostics.ActivityIdFormat.W3C } current ? current.Id : null;

    public CancellationTokenRegistration Registration { get; set; }

    public ProcessTaskState State { get; set; }

    public LinkedListNode<ProcessTask>? Node { get; set; }

    public WorkerHandle? Worker { get; set; }

    /// <summary>When it started running (Stopwatch ticks), for its timeout.</summary>
    public long StartedAt { get; set; }

    /// <summary>When its cancellation grace period ends (Stopwatch ticks); 0 if not cancelled while running.</summary>
    public long CancelDeadline { get; set; }

    public bool IsFinished => Volatile.Read(ref _finished) != 0;

    protected ProcessExecutor Owner { get; } = owner;

    /// <summary>Deserializes the worker's result and completes the task.</summary>
    public abstract void Complete(ReadOnlyMemory<byte> payload, long elapsedTicks, bool wasRunning);

    /// <summary>Completes the task with the work's own exception (and, for a batch, the results before it).</summary>
    public abstract void CompleteWithError(ReadOnlyMemory<byte> partialResults, RemoteError error, bool wasRunning);

    /// <summary>
    /// Keeps the results of the first <paramref name="done"/> items of a batch that its worker stopped short (it
    /// grew past its memory limit), and leaves the rest of the batch to run again, on another worker.
    /// </summary>
    public void StopShort(ReadOnlyMemory<byte> results, int done, long elapsedTicks)
    {
        KeepResults(results.ToArray(), elapsedTicks);
        Payload = BatchPayload.SkipItems(Payload, done);
        Items -= done;
    }

    public void Fail(Exception error, bool wasRunning)
    {
        if (TryFinish(wasRunning, TaskOutcome.Failed))
        {
            SetException(error);
        }
    }

    public void Cancel(bool wasRunning, CancellationToken token)
    {
        if (TryFinish(wasRunning, TaskOutcome.Cancelled))
        {
            SetCanceled(token);
        }
    }

    protected bool TryFinish(bool wasRunning, TaskOutcome outcome)
    {
        if (Interlocked.Exchange(ref _finished, 1) != 0)
        {
            return false;
        }

        Registration.Dispose();
        Owner.Tracker.Finished(wasRunning, outcome, Items);
        Owner.OnTaskEnded();
        return true;
    }

    protected virtual void KeepResults(byte[] results, long elapsedTicks) =>
        throw new InvalidOperationException("Only a batch of Map items can be stopped short.");

    protected abstract void SetException(Exception error);

    protected abstract void SetCanceled(CancellationToken token);
}

/// <summary>A single task whose result is one value.</summary>
internal sealed class ProcessTask<TResult>(ProcessExecutor owner, FunctionRef function, byte[] payload, TaskOptions options, CancellationToken callerToken)
    : ProcessTask(owner, function, payload, isBatch: false, items: 1, options, callerToken)
{
    private readonly TaskCompletionSource<TResult> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task<TResult> Task => _completion.Task;

    public override void Complete(ReadOnlyMemory<byte> payload, long elapsedTicks, bool wasRunning)
    {
        TResult result;
        try
        {
            result = PayloadSerializer.Deserialize<TResult>(payload);
        }
        catch (MessagePack.MessagePackSerializationException e)
        {
            Fail(new InvalidOperationException($"The result of '{Function.DisplayName}' could not be read as {PayloadSerializer.TypeName(typeof(TResult))}: {e.Message}", e), wasRunning);
            return;
        }

        if (TryFinish(wasRunning, TaskOutcome.Completed))
        {
            _completion.TrySetResult(result);
        }
    }

    public override void CompleteWithError(ReadOnlyMemory<byte> partialResults, RemoteError error, bool wasRunning) =>
        Fail(new RemoteTaskException(error), wasRunning);

    protected override void SetException(Exception error) => _completion.TrySetException(error);

    protected override void SetCanceled(CancellationToken token) => _completion.TrySetCanceled(token);
}

/// <summary>A batch of Map items sent as one task.</summary>
internal sealed class BatchTask<TResult>(ProcessExecutor owner, FunctionRef function, byte[] payload, int items, TaskOptions options, BatchSizer sizer, CancellationToken callerToken)
    : ProcessTask(owner, function, payload, isBatch: true, items, options, callerToken)
{
    private readonly TaskCompletionSource<MapBatchOutcome<TResult>> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

    // The results of the parts that workers stopped short, in order; read when the last part completes.
    private List<byte[]>? _kept;
    private long _keptTicks;

    public Task<MapBatchOutcome<TResult>> Task => _completion.Task;

    public override void Complete(ReadOnlyMemory<byte> payload, long elapsedTicks, bool wasRunning)
    {
        TResult[] results;
        try
        {
            results = WithKept(PayloadSerializer.Deserialize<TResult[]>(payload));
        }
        catch (MessagePack.MessagePackSerializationException e)
        {
            Fail(new InvalidOperationException($"The results of '{Function.DisplayName}' could not be read as {PayloadSerializer.TypeName(typeof(TResult))}: {e.Message}", e), wasRunning);
            return;
        }

        if (TryFinish(wasRunning, TaskOutcome.Completed))
        {
            // The worker's own measure of the items' work, without the round trip.
            sizer.Record(results.Length, TimeSpan.FromTicks(_keptTicks + elapsedTicks));
            _completion.TrySetResult(new MapBatchOutcome<TResult>(results, results.Length, null));
        }
    }

    public override void CompleteWithError(ReadOnlyMemory<byte> partialResults, RemoteError error, bool wasRunning)
    {
        TResult[] results;
        try
        {
            results = WithKept(partialResults.Length == 0 ? [] : PayloadSerializer.Deserialize<TResult[]>(partialResults));
        }
        catch (MessagePack.MessagePackSerializationException e)
        {
            Fail(new InvalidOperationException($"The results of '{Function.DisplayName}' before its failing item could not be read as {PayloadSerializer.TypeName(typeof(TResult))}: {e.Message}", e), wasRunning);
            return;
        }

        if (TryFinish(wasRunning, TaskOutcome.Failed))
        {
            _completion.TrySetResult(new MapBatchOutcome<TResult>(results, results.Length, ExceptionDispatchInfo.Capture(new RemoteTaskException(error))));
        }
    }

    protected override void KeepResults(byte[] results, long elapsedTicks)
    {
        (_kept ??= []).Add(results);
        _keptTicks += elapsedTicks;
    }

    private TResult[] WithKept(TResult[] last)
    {
        if (_kept is null)
        {
            return last;
        }

        var all = new List<TResult>(last.Length);
        foreach (var part in _kept)
        {
            all.AddRange(PayloadSerializer.Deserialize<TResult[]>(part));
        }

        all.AddRange(last);
        return [.. all];
    }

    protected override void SetException(Exception error) => _completion.TrySetException(error);

    protected override void SetCanceled(CancellationToken token) => _completion.TrySetCanceled(token);
}
