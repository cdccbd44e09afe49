namespace Spindle.Auto;

/// <summary>Defaults that come from measurement (docs/benchmarks.md, "Auto"), not from the slogan.</summary>
internal static class AutoDefaults
{
    /// <summary>
    /// False: on 2 cores, allocation-heavy tasks ran 1.55x over serial on the CPU lane and 1.35x on two worker processes
    /// (workstation GC; 1.86x and 1.67x under server GC). Measured by benchmarks/run-auto.sh; see docs/benchmarks.md.
    /// </summary>
    public const bool AllocationHeavyToProcesses = false;
}
