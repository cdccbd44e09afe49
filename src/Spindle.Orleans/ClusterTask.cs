using Spindle.Diagnostics;
using Spindle.Processes;
using Spindle.Processes.Protocol;

namespace Spindle.Orleans;

/// <summary>
/// One task of a <see cref="ClusterExecutor"/>: its function by reference and serialized argument, where it is
/// (pending here, or sent to a silo), and the caller's task, completed exactly once whatever races to it.
/// </summary>
internal abstract class ClusterTask
{
    protected ClusterTask(long id, FunctionRef function, byte[] payload, TaskOptions options, int maxBatch, CancellationToken token)
    {
        MaxBatch = maxBatch;
        Id = id;
        Function = function;
        Payload = payload;
        Options = options;
        Token = token;
    }

    public long Id { get; set; }

    public FunctionRef Function { get; }

    public byte[] Payload { get; }

    public TaskOptions Options { get; }

    /// <summary>The most tasks it may share a request with (MapOptions.BatchSize, or the executor's MaxBatchSize).</summary>
    public int MaxBatch { get; }

    public CancellationToken Token { get; }

    /// <summary>The runs so far; a lost silo's task runs again while this stays within the retries.</summary>
    public int Attempts { get; set; }

    /// <summary>How many times a call carrying this task failed while its silo stayed a member, and its silo was asked what became of it.</summary>
    public int Recoveries { get; set; }

    /// <summary>Its place in the pending queue while pending (guarded by the executor's lock).</summary>
    public LinkedListNode<ClusterTask>? Node { get; set; }

    /// <summary>The batch it was sent in while sent (guarded by the executor's lock).</summary>
    public SiloBatch? Batch { get; set; }

    public CancellationTokenRegistration Registration { get; set; }

    public abstract bool IsCompleted { get; }

    // The one winner among a reply, a failover, a cancel and a shutdown: it counts the outcome, then completes the
    // caller's task, in that order, so a caller who sees the task end also sees it counted in Progress.
    private int _claimed;

    /// <summary>Ends the task with a silo's reply: its result, its error, or cancelled.</summary>
    public abstract bool TryComplete(ReplyMessage reply, ProgressTracker tracker, bool wasRunning);

    public abstract bool TryFail(Exception error, ProgressTracker tracker, bool wasRunning);

    public abstract bool TryCancel(ProgressTracker tracker, bool wasRunning);

    protected bool TryClaim(ProgressTracker tracker, bool wasRunning, TaskOutcome outcome)
    {
        if (Interlocked.Exchange(ref _claimed, 1) != 0)
        {
            return false;
        }

        Registration.Dispose();
        tracker.Finished(wasRunning, outcome);
        return true;
    }
}

/// <summary>A task with its result type, which only the caller's side knows.</summary>
internal sealed class ClusterTask<TResult>(long id, FunctionRef function, byte[] payload, TaskOptions options, int maxBatch, CancellationToken token)
    : ClusterTask(id, function, payload, options, maxBatch, token)
{
    private readonly TaskCompletionSource<TResult> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task<TResult> Task => _completion.Task;

    public override bool IsCompleted => _completion.Task.IsCompleted;

    public override bool TryComplete(ReplyMessage reply, ProgressTracker tracker, bool wasRunning)
    {
        switch (reply.Type)
        {
            case FrameType.Result:
                TResult result;
                try
                {
                    result = PayloadSerializer.Deserialize<TResult>(reply.Results);
                }
#pragma warning disable CA1031 // A result this side cannot read is the task's error.
                catch (Exception e)
#pragma warning restore CA1031
                {
                    return TryFail(new InvalidDataException($"The result of '{Function.DisplayName}' could not be read: {e.Message}", e), tracker, wasRunning);
                }

                if (!TryClaim(tracker, wasRunning, TaskOutcome.Completed))
                {
                    return false;
                }

                _completion.SetResult(result);
                return true;
            case FrameType.Error:
                var error = RemoteError.FromBytes(reply.Error);
                return TryFail(
                    error.Type == typeof(TaskTimeoutException).FullName
                        ? new TaskTimeoutException(Options.Timeout ?? TimeSpan.Zero, hard: error.Message.Contains("killed", StringComparison.Ordinal))
                        : new RemoteTaskException(error),
                    tracker,
                    wasRunning);
            default:
                return TryCancel(tracker, wasRunning);
        }
    }

    public override bool TryFail(Exception error, ProgressTracker tracker, bool wasRunning)
    {
        if (!TryClaim(tracker, wasRunning, TaskOutcome.Failed))
        {
            return false;
        }

        _completion.SetException(error);
        return true;
    }

    public override bool TryCancel(ProgressTracker tracker, bool wasRunning)
    {
        if (!TryClaim(tracker, wasRunning, TaskOutcome.Cancelled))
        {
            return false;
        }

        // The caller's token when it asked for the cancel; otherwise the cancel came from a shutdown.
        if (Token.IsCancellationRequested)
        {
            _completion.SetCanceled(Token);
        }
        else
        {
            _completion.SetCanceled();
        }

        return true;
    }
}
