namespace Spindle;

/// <summary>Thrown when work running in a worker process threw; carries the original type name, message and stack.</summary>
public sealed class RemoteTaskException : Exception
{
    internal RemoteTaskException(Processes.RemoteError error)
        : base($"{error.Type}: {error.Message}", error.Inner.Count == 0 ? null : new RemoteTaskException(error.Inner[0]))
    {
        RemoteType = error.Type;
        RemoteMessage = error.Message;
        RemoteStackTrace = error.StackTrace;
        InnerRemoteExceptions = [.. error.Inner.Select(static i => new RemoteTaskException(i))];
    }

    /// <summary>The full name of the exception type the work threw, e.g. System.InvalidOperationException.</summary>
    public string RemoteType { get; }

    /// <summary>The original exception's message.</summary>
    public string RemoteMessage { get; }

    /// <summary>The stack trace in the worker process.</summary>
    public string? RemoteStackTrace { get; }

    /// <summary>The original exception's inner exceptions (all of them, for an AggregateException).</summary>
    public IReadOnlyList<RemoteTaskException> InnerRemoteExceptions { get; }

    /// <inheritdoc/>
    public override string? StackTrace => RemoteStackTrace is null ? base.StackTrace : $"{RemoteStackTrace}{Environment.NewLine}   --- in the worker process; in this process: ---{Environment.NewLine}{base.StackTrace}";
}
