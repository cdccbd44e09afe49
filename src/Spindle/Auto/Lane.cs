namespace Spindle;

/// <summary>Where Auto runs a function.</summary>
public enum Lane
{
    /// <summary>The I/O lane: async work with adaptive concurrency; waits hold no thread.</summary>
    Io,

    /// <summary>The CPU lane: dedicated threads, one per core.</summary>
    Cpu,

    /// <summary>The process lane: worker processes, each with its own memory and GC heap.</summary>
    Process,
}
