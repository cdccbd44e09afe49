namespace Spindle.Processes;

/// <summary>
/// What can be read from outside about a process executor's workers: their pids, the private socket, refused
/// connections and retried tasks. The one seam through which tests (and, later, a dashboard) look in.
/// </summary>
internal readonly struct WorkerSetDiagnostics
{
    private readonly WorkerSet _set;

    internal WorkerSetDiagnostics(WorkerSet set, long retriedTasks, long retriedItems)
    {
        _set = set;
        Retried = (retriedTasks, retriedItems);
    }

    /// <summary>The private directory that holds the socket (removed at shutdown).</summary>
    public string SocketDirectory => _set.SocketDirectory;

    public string SocketPath => _set.SocketPath;

    /// <summary>Connections refused at the handshake.</summary>
    public int RejectedConnections => _set.RejectedConnections;

    /// <summary>Tasks (a Map batch counts once) run again after their worker crashed, and the items in them.</summary>
    public (long Tasks, long Items) Retried { get; }

    /// <summary>The process ids of the live workers.</summary>
    public int[] WorkerPids => _set.ReadyPids();
}
