using Spindle.Cluster;
using Spindle.Tests;

namespace Spindle.Orleans.Tests;

/// <summary>
/// Three silo processes on localhost (the sample app), a client here, and one silo SIGKILLed mid-map. Sized for two
/// cores: two workers per silo, short tasks; membership suspects a silo after 1 s without a probe answer.
/// </summary>
public sealed class MultiProcessClusterTests
{
    [Fact(Timeout = 120_000)]
    public async Task SiloKilledMidMap_WithRetries_EveryResultArrivesExactlyOnce()
    {
        await using var silos = new SiloProcesses(3);
        await silos.StartAsync();
        await using var executor = Executor.Cluster(silos.Client, new ClusterExecutorOptions { Retries = 3, MaxInFlightPerSilo = 8, MaxBatchSize = 4, MembershipPollInterval = TimeSpan.FromMilliseconds(250) });
        await WaitForSilosAsync(executor, 3);

        var seen = new Dictionary<int, int>();
        var killed = false;
        await foreach (var (input, result) in executor.MapUnordered(Work.Square, Enumerable.Range(0, 600).Select(i => (i, 10))))
        {
            Assert.Equal((long)input.Item1 * input.Item1, result);
            seen[input.Item1] = seen.GetValueOrDefault(input.Item1) + 1;
            if (!killed && seen.Count == 150)
            {
                killed = true;
                silos.Kill(2);
            }
        }

        Assert.True(killed);
        Assert.Equal(600, seen.Count);
        Assert.All(seen, pair => Assert.Equal(1, pair.Value));
    }

    [Fact(Timeout = 120_000)]
    public async Task SiloKilledMidRun_WithoutRetries_OnlyItsTasksFail_NamingIt()
    {
        await using var silos = new SiloProcesses(3);
        await silos.StartAsync();
        await using var executor = Executor.Cluster(silos.Client, new ClusterExecutorOptions { MaxInFlightPerSilo = 2, MembershipPollInterval = TimeSpan.FromMilliseconds(250) });
        await WaitForSilosAsync(executor, 3);

        // Six tasks of 4 s, two on each silo (the least loaded silo gets each next one): long enough to be killed mid-run.
        var tasks = Enumerable.Range(0, 6).Select(i => executor.Submit(Work.Square, (i, 4_000))).ToArray();
        await TestWait.UntilAsync(() => executor.Progress.Running == 6, "all six tasks run");
        silos.Kill(2);

        await Task.WhenAll(tasks.Select(t => t.ContinueWith(_ => { }, TaskScheduler.Default)));
        var failures = tasks.Where(t => t.IsFaulted).Select(t => t.Exception!.InnerException!).ToArray();
        Assert.Equal(2, failures.Length);
        Assert.All(failures, e =>
        {
            var lost = Assert.IsType<SiloLostException>(e);
            Assert.Contains($"127.0.0.1:{silos.SiloPorts[2]}:", lost.Silo, StringComparison.Ordinal);
        });
        Assert.Equal(4, tasks.Count(t => t.IsCompletedSuccessfully));

        // The cluster goes on serving with the two silos left.
        Assert.Equal(49, await executor.Submit(Work.Square, (7, 0)));
    }

    private static Task WaitForSilosAsync(Executor executor, int count) =>
        TestWait.UntilAsync(() => ((ClusterExecutor)executor).Silos.Count == count, $"the client sees {count} silos", TimeSpan.FromSeconds(40));
}
