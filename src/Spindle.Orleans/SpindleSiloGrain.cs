using Orleans.Concurrency;

namespace Spindle.Orleans;

/// <summary>The per-silo grain: hands each request to the silo's <see cref="SiloRunner"/>.</summary>
[Reentrant]
[SiloTargetedPlacement]
internal sealed class SpindleSiloGrain(SiloRunner runner) : Grain, ISpindleSiloGrain
{
    // Reentrant: many batches run at once on the silo's executor; the grain itself holds no state between turns.
    public Task<byte[]> Run(SiloRequest request) => runner.RunAsync(request);

    public Task Cancel(Guid client, long[] taskIds)
    {
        runner.Cancel(client, taskIds);
        return Task.CompletedTask;
    }

    public Task<byte[]> Recover(Guid client, long[] taskIds) => runner.RecoverAsync(client, taskIds);

    public Task<string> Ping() => Task.FromResult(runner.SiloName);
}
