namespace Spindle;

/// <summary>Thrown when a task did not finish within its timeout.</summary>
public sealed class TaskTimeoutException : TimeoutException
{
    internal TaskTimeoutException(TimeSpan timeout, bool hard, Exception? inner = null)
        : base(hard
            ? $"The task did not finish within its timeout of {timeout.TotalMilliseconds:0} ms, so its worker process was killed."
            : $"The task did not finish within its timeout of {timeout.TotalMilliseconds:0} ms; its token was cancelled (a hard stop needs Executor.Processes).",
            inner)
    {
        Timeout = timeout;
    }

    /// <summary>The timeout that elapsed.</summary>
    public TimeSpan Timeout { get; }
}
