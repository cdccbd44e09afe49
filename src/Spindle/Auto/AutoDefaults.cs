namespace Spindle;

/// <summary>Defaults that come from measurement (docs/benchmarks.md, "Auto"), not from the slogan.</summary>
internal static class AutoDefaults
{
    /// <summary>
    /// Measured with benchmarks/Spindle.Auto.Benchmarks on 2 cores: see docs/benchmarks.md. Set from that finding.
    /// </summary>
    public const bool AllocationHeavyToProcesses = false;
}
