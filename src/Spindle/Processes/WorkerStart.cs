namespace Spindle;

/// <summary>When worker processes start.</summary>
public enum WorkerStart
{
    /// <summary>All workers start, in parallel, when the executor is created.</summary>
    Eager,

    /// <summary>Workers start when work arrives, up to MaxWorkers.</summary>
    Lazy,
}
