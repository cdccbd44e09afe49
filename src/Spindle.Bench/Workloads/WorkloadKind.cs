namespace Spindle.Bench.Workloads;

/// <summary>What a workload mostly does, which decides its concurrency and how its verdict reads.</summary>
internal enum WorkloadKind
{
    /// <summary>Computes: one task per core is all that helps.</summary>
    Cpu,

    /// <summary>Waits on files, sockets or timers: many tasks at once help.</summary>
    Io,

    /// <summary>Some of each.</summary>
    Mixed,
}
