using Spindle.Tests.Contract;

namespace Spindle.Tests.Processes;

public sealed class ProcessExecutorContractTests : ExecutorContract
{
    protected override Executor Create(int workers) => Executor.Processes(new ProcessExecutorOptions { MaxWorkers = workers });

    protected override void AssertWorkFailure<TExpected>(Exception failure, string message)
    {
        // Across the boundary the exception arrives as a RemoteTaskException naming the original type.
        var remote = Assert.IsType<RemoteTaskException>(failure);
        Assert.Equal(typeof(TExpected).FullName, remote.RemoteType);
        Assert.Contains(message, remote.RemoteMessage, StringComparison.Ordinal);
        Assert.Contains(nameof(ContractWork), remote.RemoteStackTrace, StringComparison.Ordinal);
    }

    protected override void AssertTimeout(Exception failure)
    {
        var timeout = Assert.IsType<TaskTimeoutException>(failure);
        Assert.Contains("worker process was killed", timeout.Message, StringComparison.Ordinal);
    }
}
