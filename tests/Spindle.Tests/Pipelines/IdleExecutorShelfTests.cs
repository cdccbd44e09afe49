using Spindle.Internal;
using Spindle.Pipelines;

namespace Spindle.Tests.Pipelines;

/// <summary>A run without an executor of its options' takes one from the shelf and puts it back idle; the shelf keeps one at most.</summary>
public sealed class IdleExecutorShelfTests
{
    [Fact(Timeout = TestWait.Hard)]
    public async Task AnIdleExecutorPutBack_IsTheOneTheNextRunTakes()
    {
        var shelf = new IdleExecutorShelf();
        var first = shelf.Take();
        Assert.Equal(3, await first.Submit(static (int x) => x + 1, 2));

        await shelf.PutBackAsync(first);

        Assert.False(first.IsShutdown);
        var second = shelf.Take();
        Assert.Same(first, second);
        Assert.Equal(5, await second.Submit(static (int x) => x + 1, 4));
        await second.ShutdownAsync();
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task ASecondExecutorPutBack_IsShutDown()
    {
        var shelf = new IdleExecutorShelf();
        var kept = shelf.Take();
        var other = shelf.Take();
        Assert.NotSame(kept, other);

        await shelf.PutBackAsync(kept);
        await shelf.PutBackAsync(other);

        Assert.False(kept.IsShutdown);
        Assert.True(other.IsShutdown);
        Assert.Same(kept, shelf.Take());
        await kept.ShutdownAsync();
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task AnExecutorWithWorkOutstanding_IsShutDownOnceTheWorkEnds_AndNotKept()
    {
        var shelf = new IdleExecutorShelf();
        var busy = shelf.Take();
        using var gate = new ManualResetEventSlim();
        var stuck = busy.Submit(static (ManualResetEventSlim g) => g.Wait(TimeSpan.FromSeconds(50)), gate);

        var putBack = shelf.PutBackAsync(busy);

        // After a short grace for finishing tasks, the put-back shuts the executor down, which waits for the work.
        await TestWait.UntilAsync(() => busy.IsShutdown, "the put-back shuts the busy executor down");
        Assert.False(putBack.IsCompleted);
        gate.Set();
        await putBack;
        Assert.True(await stuck);
        var next = shelf.Take();
        Assert.NotSame(busy, next);
        await next.ShutdownAsync();
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task WhenIdle_CompletesOnceTheLastOutstandingTaskEnds()
    {
        await using var executor = Executor.Threads(new ThreadExecutorOptions { CpuThreads = 2 });
        var host = (IPipelineHost)executor;
        await host.WhenIdleAsync();
        using var gate = new ManualResetEventSlim();
        var held = executor.Submit(static (ManualResetEventSlim g) => g.Wait(TimeSpan.FromSeconds(50)), gate);

        var idle = host.WhenIdleAsync();

        Assert.False(idle.IsCompleted);
        gate.Set();
        await idle;
        Assert.True(await held);
        Assert.True(host.IsIdle);
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task APipelineRunWithoutAnExecutor_RunsItsCpuStageOnThePipelineExecutorsThreads()
    {
        var names = new List<string?>();
        await Pipeline.From(Enumerable.Range(0, 20))
            .Then("where", static (int _) => Thread.CurrentThread.Name, new StageOptions { Parallelism = 2 }.OnCpu())
            .RunAsync(names.Add);

        Assert.Equal(20, names.Count);
        Assert.All(names, name => Assert.StartsWith("pipeline cpu ", name, StringComparison.Ordinal));
    }
}
