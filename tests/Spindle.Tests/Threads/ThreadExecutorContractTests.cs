using Spindle.Tests.Contract;

namespace Spindle.Tests.Threads;

public sealed class ThreadExecutorContractTests : ExecutorContract
{
    protected override Executor Create(int workers) => Executor.Threads(new ThreadExecutorOptions { CpuThreads = workers, IoConcurrency = workers });

    protected override void AssertWorkFailure<TExpected>(Exception failure, string message)
    {
        // On threads the exception reaches the caller unchanged: same type, same message.
        var typed = Assert.IsType<TExpected>(failure);
        Assert.Contains(message, typed.Message, StringComparison.Ordinal);
        Assert.Contains(nameof(ContractWork), typed.StackTrace, StringComparison.Ordinal);
    }
}
