using Microsoft.Extensions.DependencyInjection;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.Runtime;
using Orleans.TestingHost;
using Spindle.Tests;

namespace Spindle.Orleans.Tests;

/// <summary>
/// Orleans' in-process test cluster: silos in this process, each with its own host, DI container and Spindle
/// executor (threads, two CPU workers, so a 2-core machine is not oversubscribed by three silos), and one client.
/// </summary>
public sealed class ClusterFixture : IAsyncLifetime
{
    private InProcessTestCluster? _cluster;

    /// <summary>How many silos the cluster starts with.</summary>
    public int InitialSilos { get; init; } = 3;

    /// <summary>How the silos run tasks (Threads on the hosted executor by default).</summary>
    public Technique SiloTechnique { get; init; } = Technique.Threads;

    public InProcessTestCluster Cluster => _cluster ?? throw new InvalidOperationException("The cluster has not started.");

    public IClusterClient Client => Cluster.Client;

    public async Task InitializeAsync()
    {
        var builder = new InProcessTestClusterBuilder((short)InitialSilos);
        builder.ConfigureSilo((_, silo) =>
        {
            silo.AddSpindle(o => o.Technique = SiloTechnique, o =>
            {
                o.Technique = Technique.Threads;
                o.Workers = 2;
            });

            // Find a killed silo within a couple of seconds, not the production default of tens of seconds.
            silo.Configure<ClusterMembershipOptions>(o =>
            {
                o.ProbeTimeout = TimeSpan.FromMilliseconds(500);
                o.NumMissedProbesLimit = 2;
                o.NumVotesForDeathDeclaration = 1;
                o.TableRefreshTimeout = TimeSpan.FromSeconds(1);
                o.IAmAliveTablePublishTimeout = TimeSpan.FromSeconds(1);
            });
        });
        _cluster = builder.Build();
        await _cluster.DeployAsync();
    }

    public async Task DisposeAsync()
    {
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }
    }

    /// <summary>A cluster executor whose client reads membership often, connected to every current silo.</summary>
    public async Task<Executor> ConnectAsync(ClusterExecutorOptions? options = null)
    {
        var executor = Executor.Cluster(Client, (options ?? new ClusterExecutorOptions()) with { MembershipPollInterval = TimeSpan.FromMilliseconds(100) });
        var silos = Cluster.GetActiveSilos().Count();
        await TestWait.UntilAsync(() => ((ClusterExecutor)executor).Silos.Count == silos, $"the executor sees all {silos} silos");
        return executor;
    }

    /// <summary>How many runs the Spindle grain of a silo has finished.</summary>
    public long CompletedOn(SiloAddress silo) => Cluster.GetSiloServiceProvider(silo).GetRequiredService<SiloRunner>().Completed;
}

/// <summary>The 3-silo cluster shared by the test classes that do not change its membership.</summary>
[CollectionDefinition(Name)]
public sealed class SharedCluster : ICollectionFixture<ClusterFixture>
{
    public const string Name = "shared 3-silo cluster";
}
