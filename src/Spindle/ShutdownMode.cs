namespace Spindle;

/// <summary>What happens to accepted work when an executor shuts down.</summary>
public enum ShutdownMode
{
    /// <summary>Running tasks finish and pending ones still run.</summary>
    Graceful,

    /// <summary>Running tasks finish; pending ones end as cancelled without running.</summary>
    CancelPending,
}
