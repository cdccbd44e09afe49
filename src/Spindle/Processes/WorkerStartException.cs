namespace Spindle;

/// <summary>Thrown when worker processes cannot be started or never connect back.</summary>
public sealed class WorkerStartException : Exception
{
    internal WorkerStartException(string message, Exception? inner = null)
        : base(message, inner)
    {
    }
}
