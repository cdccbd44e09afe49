using Microsoft.Extensions.DependencyInjection;
using Spindle.Tests;

namespace Spindle.Orleans.Tests;

/// <summary>What the cluster adds to the contract: spreading, batching, backpressure, and cancels and timeouts that reach the silo.</summary>
[Collection(SharedCluster.Name)]
public sealed class ClusterSchedulingTests(ClusterFixture fixture)
{
    private IEnumerable<SiloRunner> Runners =>
        fixture.Cluster.GetActiveSilos().Select(s => fixture.Cluster.GetSiloServiceProvider(s.SiloAddress).GetRequiredService<SiloRunner>());

    [Fact(Timeout = TestWait.Hard)]
    public async Task Map_SpreadsItsItemsOverEverySilo()
    {
        await using var executor = await fixture.ConnectAsync();
        var before = Runners.Select(r => r.Completed).ToArray();

        var results = new List<int>();
        await foreach (var r in executor.Map(ClusterWork.EchoSoon, Enumerable.Range(0, 300)))
        {
            results.Add(r);
        }

        Assert.Equal(Enumerable.Range(0, 300), results);
        var ran = Runners.Select((r, i) => r.Completed - before[i]).ToArray();
        Assert.Equal(3, ran.Length);
        Assert.All(ran, n => Assert.True(n > 0, $"a silo ran none of the items (per silo: {string.Join(", ", ran)})"));
        Assert.Equal(300, ran.Sum());
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task Map_ManyTinyItems_CrossTheNetworkInBatches()
    {
        await using var executor = await fixture.ConnectAsync(new ClusterExecutorOptions { MaxBatchSize = 100 });
        var before = Runners.Sum(r => r.Requests);

        long sum = 0;
        await foreach (var r in executor.Map(ClusterWork.Twice, Enumerable.Range(0, 5_000)))
        {
            sum += r;
        }

        Assert.Equal(Enumerable.Range(0, 5_000).Sum(i => (long)i * 2), sum);
        var requests = Runners.Sum(r => r.Requests) - before;
        Assert.InRange(requests, 50, 5_000 / 10);
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task Submit_BeyondTheSilosBound_WaitsInTheClient()
    {
        await using var executor = await fixture.ConnectAsync(new ClusterExecutorOptions { MaxInFlightPerSilo = 2 });
        using var stop = new CancellationTokenSource();
        var tasks = Enumerable.Range(0, 20).Select(_ => executor.Submit(ClusterWork.Hold, 600_000, stop.Token)).ToArray();

        await TestWait.UntilAsync(() => Runners.Sum(r => r.Running) == 6, "two tasks run on each of the three silos");
        Assert.All(Runners, r => Assert.Equal(2, r.Running));
        Assert.Equal(14, executor.Progress.Queued);
        Assert.Equal(6, executor.Progress.Running);

        await stop.CancelAsync();
        foreach (var task in tasks)
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => task);
        }

        await TestWait.UntilAsync(() => Runners.Sum(r => r.Running) == 0, "the silos end the cancelled runs");
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task Submit_Cancelled_ReachesTheSiloThatRunsIt()
    {
        await using var executor = await fixture.ConnectAsync();
        using var cts = new CancellationTokenSource();
        var task = executor.Submit(ClusterWork.Hold, 600_000, cts.Token);
        await TestWait.UntilAsync(() => Runners.Sum(r => r.Running) == 1, "the task runs on a silo");

        await cts.CancelAsync();
        var error = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => task);
        Assert.Equal(cts.Token, error.CancellationToken);
        Assert.Equal(0, Runners.Sum(r => r.Running));
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task Submit_TimeoutElapsesOnTheSilo_TheRunEndsThereAndTheCallerSeesATimeout()
    {
        await using var executor = await fixture.ConnectAsync();
        var options = new TaskOptions { Timeout = TimeSpan.FromMilliseconds(300) };
        var error = await Assert.ThrowsAsync<TaskTimeoutException>(() => executor.Submit(ClusterWork.Hold, 600_000, options));
        Assert.Equal(TimeSpan.FromMilliseconds(300), error.Timeout);
        Assert.Equal(0, Runners.Sum(r => r.Running));
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task Submit_LambdaThatCaptures_IsRefusedNamingTheVariable()
    {
        await using var executor = await fixture.ConnectAsync();
        var factor = 3;
        var error = Assert.Throws<ArgumentException>(() => { _ = executor.Submit(x => x * factor, 1); });
        Assert.Contains("'factor'", error.Message, StringComparison.Ordinal);
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task Options_Invalid_EveryProblemInOneError()
    {
        await using var _ = await fixture.ConnectAsync();
        var error = Assert.Throws<SpindleOptionsException>(() => Executor.Cluster(fixture.Client, new ClusterExecutorOptions { MaxInFlightPerSilo = 0, Retries = -1 }));
        Assert.Equal(2, error.Problems.Count);
        Assert.Contains("MaxInFlightPerSilo must be greater than 0 (was 0)", error.Message, StringComparison.Ordinal);
        Assert.Contains("Retries must be 0 or more (was -1)", error.Message, StringComparison.Ordinal);
    }
}
