using Spindle.Sharing;

namespace Spindle.Tests.Sharing;

/// <summary>The lock, event and counter across worker processes: mutual exclusion, and waiters that sleep.</summary>
public sealed class SharedLockTests
{
    [Fact(Timeout = TestWait.Hard)]
    public async Task Lock_UnderContention_FromTwoWorkersAndTheParent_NeverLetsTwoIn()
    {
        const int Rounds = 3_000;
        await using var executor = SharingTestKit.Processes(2);
        await SharingTestKit.WarmAsync(executor, 2);
        using var sharedLock = SharedLock.Create();
        using var inside = SharedCounter.Create();
        using var cell = SharedArray<long>.Create(1);
        var job = new SharingWork.LockJob(sharedLock, inside, cell, Rounds, Spin: 200);

        var overlaps = await Task.WhenAll(
            executor.Submit(SharingWork.Contend, job),
            executor.Submit(SharingWork.Contend, job),
            Task.Run(() => SharingWork.Contend(job)));

        Assert.Equal([0, 0, 0], overlaps);
        Assert.Equal(3 * Rounds, cell[0]);
        Assert.False(sharedLock.IsHeld);
        Assert.Equal(0, inside.Value);
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task Lock_HeldByTheParent_AWorkerWaitsAsleep_AndTakesItOnExit()
    {
        await using var executor = SharingTestKit.Processes(1);
        var pid = await executor.Submit(SharingWork.Pid, 0);
        using var sharedLock = SharedLock.Create();
        using var ready = SharedCounter.Create();
        sharedLock.Enter();

        var taking = executor.Submit(SharingWork.TakeHeldLock, new SharingWork.LockWaitJob(sharedLock, ready));
        await TestWait.UntilAsync(() => ready.Value != 0, "the worker is about to take the lock");
        await TestWait.UntilAsync(() => SharingTestKit.ThreadState(pid, ready.Value) == 'S', "the waiting worker thread sleeps rather than spins");
        Assert.False(taking.IsCompleted);
        sharedLock.Exit();

        Assert.True(await taking);
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task Event_SetByTheParent_WakesAWorkerThatSleptOnIt()
    {
        await using var executor = SharingTestKit.Processes(1);
        var pid = await executor.Submit(SharingWork.Pid, 0);
        using var shared = SharedEvent.Create();
        using var ready = SharedCounter.Create();

        var waiting = executor.Submit(SharingWork.AwaitEvent, new SharingWork.WaitJob(shared, ready));
        await TestWait.UntilAsync(() => ready.Value != 0, "the worker is about to wait");
        await TestWait.UntilAsync(() => SharingTestKit.ThreadState(pid, ready.Value) == 'S', "the waiting worker thread sleeps rather than spins");
        Assert.False(waiting.IsCompleted);
        shared.Set();

        Assert.True(await waiting);
        Assert.True(shared.IsSet);
        shared.Reset();
        Assert.False(shared.Wait(TimeSpan.Zero));
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task Event_WaitAsync_ReturnsWhenAWorkerSetsIt_WithoutBlockingTheCaller()
    {
        await using var executor = SharingTestKit.Processes(1);
        using var shared = SharedEvent.Create();

        var waiting = shared.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.False(waiting.IsCompleted);
        Assert.True(await executor.Submit(SharingWork.SetEvent, shared));

        Assert.True(await waiting);
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task Event_WaitAsync_Cancelled_ThrowsWithTheCallersToken_AndATimeoutReturnsFalse()
    {
        using var shared = SharedEvent.Create();
        using var cts = new CancellationTokenSource();

        var waiting = shared.WaitAsync(cts.Token);
        await cts.CancelAsync();

        var error = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting.WaitAsync(TestWait.Generous));
        Assert.Equal(cts.Token, error.CancellationToken);
        Assert.False(await shared.WaitAsync(TimeSpan.FromMilliseconds(1)));
    }

    [Fact]
    public void Lock_ExitWithoutEnter_Throws_AndTryEnterOnAHeldLockFails()
    {
        using var sharedLock = SharedLock.Create();
        Assert.Throws<SynchronizationLockException>(sharedLock.Exit);
        Assert.True(sharedLock.TryEnter());
        Assert.False(sharedLock.TryEnter());
        Assert.False(sharedLock.TryEnter(TimeSpan.FromMilliseconds(1)));
        sharedLock.Exit();
        using (sharedLock.EnterScope())
        {
            Assert.True(sharedLock.IsHeld);
        }

        Assert.False(sharedLock.IsHeld);
    }

    [Fact]
    public void Counter_AddsAtomically()
    {
        using var counter = SharedCounter.Create(5);
        Parallel.For(0, 10_000, _ => counter.Increment());
        Assert.Equal(10_005, counter.Value);
        Assert.Equal(10_005, counter.CompareExchange(1, 10_005));
        Assert.Equal(1, counter.Value);
    }
}
