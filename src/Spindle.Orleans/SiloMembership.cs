using Orleans.Runtime;

namespace Spindle.Orleans;

/// <summary>
/// One reading of the cluster's membership, in the terms the executor acts on: which silos may take work, which are
/// leaving, and which are lost.
/// </summary>
internal sealed class SiloMembership(Dictionary<SiloAddress, SiloStatus> hosts)
{
    /// <summary>The silos that are active members; one the executor has no lane for yet has joined.</summary>
    public IEnumerable<SiloAddress> Active => hosts.Where(static h => h.Value == SiloStatus.Active).Select(static h => h.Key);

    /// <summary>Declared dead, or no longer listed at all: its unanswered tasks fail over.</summary>
    public bool IsLost(SiloAddress silo) => Status(silo) is SiloStatus.Dead or SiloStatus.None;

    /// <summary>Shutting down: its work finishes, new work goes elsewhere.</summary>
    public bool IsLeaving(SiloAddress silo) => Status(silo) is SiloStatus.ShuttingDown or SiloStatus.Stopping;

    // A silo membership no longer lists counts as dead, so that its lane and its unanswered tasks are not kept waiting
    // for a status that will not come.
    private SiloStatus Status(SiloAddress silo) => hosts.TryGetValue(silo, out var status) ? status : SiloStatus.Dead;
}
