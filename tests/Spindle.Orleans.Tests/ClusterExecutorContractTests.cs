using Spindle.Tests.Contract;

namespace Spindle.Orleans.Tests;

/// <summary>The executor contract, run against a client of the 3-silo in-process cluster.</summary>
[Collection(SharedCluster.Name)]
public sealed class ClusterExecutorContractTests(ClusterFixture cluster) : ExecutorContract
{
    // The contract's worker count bounds the whole cluster's tasks in flight, so that "pending" means the same as on
    // one machine: a task beyond that many waits in this client, cancellable, until a silo answers.
    protected override Executor Create(int workers) =>
        Executor.Cluster(cluster.Client, new ClusterExecutorOptions { MaxInFlight = workers, MembershipPollInterval = TimeSpan.FromMilliseconds(100) });

    protected override void AssertWorkFailure<TExpected>(Exception failure, string message)
    {
        // Across the network the exception arrives as a RemoteTaskException naming the original type, with the
        // silo's stack trace.
        var remote = Assert.IsType<RemoteTaskException>(failure);
        Assert.Equal(typeof(TExpected).FullName, remote.RemoteType);
        Assert.Contains(message, remote.RemoteMessage, StringComparison.Ordinal);
        Assert.Contains(nameof(ContractWork), remote.RemoteStackTrace, StringComparison.Ordinal);
    }

    protected override void AssertTimeout(Exception failure)
    {
        var timeout = Assert.IsType<TaskTimeoutException>(failure);
        Assert.Equal(TimeSpan.FromMilliseconds(200), timeout.Timeout);
    }
}
