namespace Spindle;

/// <summary>When worker processes start.</summary>
public enum WorkerStart
{
    /// <summary>
    /// Workers start when the executor is created: the first at once, the others in parallel as soon as it is up (or at
    /// once, when tasks are already waiting for them), so that on a small machine their starts do not delay the first result.
    /// </summary>
    Eager,

    /// <summary>Workers start when work arrives, up to MaxWorkers.</summary>
    Lazy,
}
