using Spindle.Internal;
namespace Spindle.Tests.Threads;

/// <summary>
/// How a pipeline stage submits its batch tasks (IPipelineHost.SubmitContinuingHere): its own continuation runs on the lane thread
/// where the task ended, and an I/O-lane task it submits from a pool thread starts there. A user's task gets neither.
/// </summary>
public sealed class ContinueOnExecutorTests
{
    [Fact(Timeout = TestWait.Hard)]
    public async Task CpuLane_InternalTask_ContinuesOnTheLaneThread_AUsersTaskNever()
    {
        await using var executor = Executor.Threads(new ThreadExecutorOptions { CpuThreads = 1, Name = "inline" });

        Assert.Equal("inline cpu 0", await ContinuationThreadAsync(executor, inline: true));
        var users = await ContinuationThreadAsync(executor, inline: false);
        Assert.NotEqual("inline cpu 0", users);
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task IoLane_InternalTask_SubmittedFromAPoolThread_StartsOnThatThread()
    {
        await using var executor = Executor.Threads(new ThreadExecutorOptions { IoConcurrency = 4 });

        // Read as soon as Submit returns, while the submitter still holds its thread: started inline, the work has
        // already run up to its first await there; queued, it has not started, or started on another thread.
        var (submitter, starter, task) = await Task.Run(() =>
        {
            var started = 0;
            var task = SubmitInline(executor, Work<int, int>.Of(async (int _) =>
            {
                Volatile.Write(ref started, Environment.CurrentManagedThreadId);
                await Task.Yield();
                return 0;
            }));
            return (Environment.CurrentManagedThreadId, Volatile.Read(ref started), task);
        });

        await task;
        Assert.Equal(submitter, starter);
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task IoLane_InternalTask_SubmittedFromAThreadOutsideThePool_StartsOnThePool()
    {
        await using var executor = Executor.Threads(new ThreadExecutorOptions { IoConcurrency = 4 });
        Task<int>? task = null;
        var submitter = new Thread(() => task = SubmitInline(executor, Work<int, int>.Of(StartThreadAsync)));
        submitter.Start();
        submitter.Join();

        var starter = await task!;
        Assert.NotEqual(submitter.ManagedThreadId, starter);
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task IoLane_InternalTask_StartedInline_DoesNotStartAnotherInlineInsideIt()
    {
        await using var executor = Executor.Threads(new ThreadExecutorOptions { IoConcurrency = 4 });
        var innerStarted = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var inner = Work<int, int>.Of(async (int _) =>
        {
            innerStarted.TrySetResult(Environment.CurrentManagedThreadId);
            await Task.Yield();
            return 0;
        });

        // The outer task, started inline on a pool thread, submits the inner one and waits (blocking its thread) for
        // it to start: inline, it would already have started before the wait, on the outer task's own thread.
        var outerThread = 0;
        var outer = Work<int, int>.Of(async (int _) =>
        {
            outerThread = Environment.CurrentManagedThreadId;
            var task = SubmitInline(executor, inner);
            var started = innerStarted.Task.Wait(TimeSpan.FromSeconds(30));
            await task.ConfigureAwait(false);
            return started ? innerStarted.Task.Result : -1;
        });
        var innerThread = await Task.Run(() => SubmitInline(executor, outer));

        Assert.NotEqual(outerThread, innerThread);
    }

    /// <summary>Runs a task that ends once its continuation is registered; returns the name of the thread the continuation ran on.</summary>
    private static async Task<string?> ContinuationThreadAsync(Executor executor, bool inline)
    {
        using var release = new ManualResetEventSlim();
        var work = Work<int, int>.Of(x =>
        {
            release.Wait(TimeSpan.FromSeconds(30));
            return x;
        });
        var task = inline ? SubmitInline(executor, work) : executor.SubmitInternal(work, 0, TaskOptions.Default, CancellationToken.None);

        // ExecuteSynchronously runs the continuation on whichever thread completes the task, unless the task's
        // completion forbids it (as a user's task's does): then it runs on the pool.
        var continuation = task.ContinueWith(static _ => Thread.CurrentThread.Name, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        release.Set();
        return await continuation;
    }

    private static Task<int> SubmitInline(Executor executor, Work<int, int> work) =>
        ((IPipelineHost)executor).SubmitContinuingHere(work, 0, TaskOptions.Default);

    private static async Task<int> StartThreadAsync(int _)
    {
        var thread = Environment.CurrentManagedThreadId;
        await Task.Yield();
        return thread;
    }
}
