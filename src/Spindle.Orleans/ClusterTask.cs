using Spindle.Processes;
using Spindle.Processes.Protocol;

namespace Spindle.Orleans;

/// <summary>
/// One task of a <see cref="ClusterExecutor"/>: its function by reference and serialized argument, where it is
/// (pending here, or sent to a silo), and the caller's task, completed exactly once whatever races to it.
/// </summary>
internal abstract class ClusterTask
{
    protected ClusterTask(long id, FunctionRef function, byte[] payload, TaskOptions options, CancellationToken token)
    {
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

    public CancellationToken Token { get; }

    /// <summary>The runs so far; a lost silo's task runs again while this stays within the retries.</summary>
    public int Attempts { get; set; }

    /// <summary>Its place in the pending queue while pending (guarded by the executor's lock).</summary>
    public LinkedListNode<ClusterTask>? Node { get; set; }

    /// <summary>The batch it was sent in while sent (guarded by the executor's lock).</summary>
    public SiloBatch? Batch { get; set; }

    public CancellationTokenRegistration Registration { get; set; }

    public abstract bool IsCompleted { get; }

    public abstract bool TryComplete(ReplyMessage reply);

    public abstract bool TryFail(Exception error);

    public abstract bool TryCancel();
}

/// <summary>A task with its result type, which only the caller's side knows.</summary>
internal sealed class ClusterTask<TResult>(long id, FunctionRef function, byte[] payload, TaskOptions options, CancellationToken token)
    : ClusterTask(id, function, payload, options, token)
{
    private readonly TaskCompletionSource<TResult> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task<TResult> Task => _completion.Task;

    public override bool IsCompleted => _completion.Task.IsCompleted;

    public override bool TryComplete(ReplyMessage reply)
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
                    return TryFail(new InvalidDataException($"The result of '{Function.DisplayName}' could not be read: {e.Message}", e));
                }

                return _completion.TrySetResult(result);
            case FrameType.Error:
                var error = RemoteError.FromBytes(reply.Error);
                return TryFail(error.Type == typeof(TaskTimeoutException).FullName
                    ? new TaskTimeoutException(Options.Timeout ?? TimeSpan.Zero, hard: error.Message.Contains("killed", StringComparison.Ordinal))
                    : new RemoteTaskException(error));
            default:
                return TryCancel();
        }
    }

    public override bool TryFail(Exception error) => _completion.TrySetException(error);

    // The caller's token when it asked for the cancel; otherwise the cancel came from a shutdown.
    public override bool TryCancel() => Token.IsCancellationRequested ? _completion.TrySetCanceled(Token) : _completion.TrySetCanceled();
}
