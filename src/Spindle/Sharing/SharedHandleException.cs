namespace Spindle.Sharing;

/// <summary>A handle to a shared array, queue, lock, event or counter that names no segment this process may use.</summary>
public sealed class SharedHandleException : Exception
{
    public SharedHandleException()
    {
    }

    public SharedHandleException(string message)
        : base(message)
    {
    }

    public SharedHandleException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
