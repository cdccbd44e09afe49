namespace Spindle;

/// <summary>The nature of a piece of work, which decides the lane it runs on.</summary>
public enum WorkKind
{
    /// <summary>Mostly waiting on files, networks or processes: runs on the I/O lane.</summary>
    IoBound,

    /// <summary>Mostly computing: runs on the CPU lane's dedicated threads.</summary>
    CpuBound,

    /// <summary>Untrusted, crash-prone or leaking code: always runs in a worker process.</summary>
    Isolated,
}
