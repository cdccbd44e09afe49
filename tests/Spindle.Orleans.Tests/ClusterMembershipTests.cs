using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;
using Spindle.Tests;

namespace Spindle.Orleans.Tests;

/// <summary>
/// Silos joining and dying under a running client; each test has a cluster of its own, since it changes it. In process,
/// Orleans' KillSiloAsync stops a silo's host abruptly: its executor cancels the runs and the silo reports them lost,
/// or the client's calls to it fail. A silo process killed by SIGKILL is tested in <c>MultiProcessClusterTests</c>.
/// </summary>
public sealed class ClusterMembershipTests : IAsyncLifetime
{
    private readonly ClusterFixture _fixture = new();

    public Task InitializeAsync() => _fixture.InitializeAsync();

    public Task DisposeAsync() => _fixture.DisposeAsync();

    [Fact(Timeout = TestWait.Hard)]
    public async Task JoiningSilo_TakesWork()
    {
        await using var executor = await _fixture.ConnectAsync();
        var joined = await _fixture.Cluster.StartAdditionalSiloAsync();
        await TestWait.UntilAsync(() => ((ClusterExecutor)executor).Silos.Contains(joined.SiloAddress.ToString()), "the client sees the new silo");

        var results = new List<int>();
        await foreach (var r in executor.Map(ClusterWork.EchoSoon, Enumerable.Range(0, 200)))
        {
            results.Add(r);
        }

        Assert.Equal(Enumerable.Range(0, 200), results);
        Assert.True(_fixture.CompletedOn(joined.SiloAddress) > 0, "the silo that joined ran none of the items");
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task KilledSilo_WithRetries_EveryResultArrivesExactlyOnce()
    {
        await using var executor = await _fixture.ConnectAsync(new ClusterExecutorOptions { Retries = 2, MaxInFlightPerSilo = 8, MaxBatchSize = 4 });
        var victim = _fixture.Cluster.Silos[^1];
        var runner = victim.ServiceProvider.GetRequiredService<SiloRunner>();

        var seen = new Dictionary<int, int>();
        var killed = false;
        await foreach (var (input, result) in executor.MapUnordered(ClusterWork.EchoSoon, Enumerable.Range(0, 400)))
        {
            Assert.Equal(input, result);
            seen[input] = seen.GetValueOrDefault(input) + 1;
            if (!killed && seen.Count >= 40 && runner.Running > 0)
            {
                killed = true;
                await _fixture.Cluster.KillSiloAsync(victim);
            }
        }

        Assert.True(killed, "the silo was never running work when the test meant to kill it");
        Assert.Equal(400, seen.Count);
        Assert.All(seen, pair => Assert.Equal(1, pair.Value));
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task KilledSilo_WithoutRetries_OnlyItsTasksFail_NamingIt()
    {
        await using var executor = await _fixture.ConnectAsync(new ClusterExecutorOptions { MaxInFlightPerSilo = 2 });
        var victim = _fixture.Cluster.Silos[^1];
        var runner = victim.ServiceProvider.GetRequiredService<SiloRunner>();

        // Six tasks, two per silo, that end on their own after a few seconds: long enough to be killed mid-run.
        var tasks = Enumerable.Range(0, 6).Select(_ => executor.Submit(ClusterWork.Hold, 4_000)).ToArray();
        await TestWait.UntilAsync(() => runner.Running == 2, "two tasks run on the silo to kill");
        await _fixture.Cluster.KillSiloAsync(victim);

        await Task.WhenAll(tasks.Select(t => t.ContinueWith(_ => { }, TaskScheduler.Default)));
        var failures = tasks.Where(t => t.IsFaulted).Select(t => t.Exception!.InnerException!).ToArray();
        Assert.Equal(2, failures.Length);
        Assert.All(failures, e =>
        {
            var lost = Assert.IsType<SiloLostException>(e);
            Assert.Equal(victim.SiloAddress.ToString(), lost.Silo);
            Assert.Contains(victim.SiloAddress.ToString(), lost.Message, StringComparison.Ordinal);
        });
        Assert.Equal(4, tasks.Count(t => t.IsCompletedSuccessfully));
        Assert.Equal(4_000, await executor.Submit(ClusterWork.Hold, 4_000));
    }
}
