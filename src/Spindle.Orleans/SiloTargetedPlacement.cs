using Orleans.Placement;
using Orleans.Runtime;
using Orleans.Runtime.Placement;

namespace Spindle.Orleans;

/// <summary>Places a grain on the silo whose address is its key, and nowhere else.</summary>
[GenerateSerializer]
[Immutable]
internal sealed class SiloTargetedPlacement : PlacementStrategy
{
    public static readonly SiloTargetedPlacement Instance = new();
}

/// <summary>Marks a grain class as placed on the silo named by its key.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
internal sealed class SiloTargetedPlacementAttribute() : PlacementAttribute(SiloTargetedPlacement.Instance);

/// <summary>
/// The director of <see cref="SiloTargetedPlacement"/>. A key naming a silo that is not (or no longer) in the cluster
/// is an error rather than a placement elsewhere: work meant for a lost silo must fail or be retried by the client,
/// which then knows where it ran.
/// </summary>
internal sealed class SiloTargetedPlacementDirector : IPlacementDirector
{
    public Task<SiloAddress> OnAddActivation(PlacementStrategy strategy, PlacementTarget target, IPlacementContext context)
    {
        var key = target.GrainIdentity.Key.ToString();
        var silo = SiloAddress.FromParsableString(key);
        var compatible = context.GetCompatibleSilos(target);
        if (!compatible.Contains(silo))
        {
            throw new SiloUnavailableException($"The silo {silo} is not in the cluster (its Spindle grain cannot be placed there); the client sends its work to another silo.");
        }

        return Task.FromResult(silo);
    }
}
