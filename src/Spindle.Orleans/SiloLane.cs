using Orleans.Runtime;

namespace Spindle.Orleans;

/// <summary>A silo as one client sees it: its grain, the tasks it has in flight, and whether it may take more.</summary>
internal sealed class SiloLane(SiloAddress address, ISpindleSiloGrain grain)
{
    public SiloAddress Address { get; } = address;

    public string Name { get; } = address.ToString();

    public ISpindleSiloGrain Grain { get; } = grain;

    /// <summary>Tasks sent and not yet answered (guarded by the executor's lock).</summary>
    public int InFlight { get; set; }

    public HashSet<SiloBatch> Batches { get; } = [];

    /// <summary>A call to it failed: nothing more is sent until a ping gets through or membership drops it.</summary>
    public bool Suspect { get; set; }

    /// <summary>It is leaving (shutting down): its work finishes, new work goes elsewhere.</summary>
    public bool Draining { get; set; }

    /// <summary>Task ids whose cancel is yet to be sent (guarded by the executor's lock).</summary>
    public List<long> Cancels { get; } = [];

    public bool CancelSending { get; set; }

    public bool TakesWork => !Suspect && !Draining;
}
