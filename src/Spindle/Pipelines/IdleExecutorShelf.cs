using Spindle.Internal;
namespace Spindle.Pipelines;

/// <summary>
/// Where the thread executor of a run whose options name none comes from. Each such run has one to itself while it
/// runs, so that one run's blocking stage or busy I/O lane cannot hold up another's. A run that ends with its
/// executor idle puts it back on the shelf, and the next run takes it instead of starting two threads and joining them
/// again: on a busy machine a fresh executor's threads cost a run milliseconds, not only the microseconds that
/// starting them takes.
/// </summary>
/// <remarks>
/// The shelf holds at most one executor, its threads asleep. Runs that overlap create executors of their own, as
/// before, and every executor the shelf does not keep is shut down when its run ends. An executor with work still
/// outstanding (a stopped run's item that ignores its token, say) is never kept: it is shut down, which waits for
/// that work.
/// </remarks>
internal sealed class IdleExecutorShelf
{
    // How long a run's executor may take to count its last tasks as ended once the run has their results.
    private static readonly TimeSpan s_finishingTasks = TimeSpan.FromMilliseconds(100);

    private Executor? _idle;

    /// <summary>The shelf every pipeline run uses.</summary>
    public static IdleExecutorShelf Runs { get; } = new();

    /// <summary>The executor on the shelf, if there is one, or a new one.</summary>
    public Executor Take() =>
        Interlocked.Exchange(ref _idle, null) ?? Executor.Threads(new ThreadExecutorOptions { Name = "pipeline" });

    /// <summary>Keeps <paramref name="executor"/> for the next run if it is idle and the shelf is empty; shuts it down otherwise.</summary>
    public async Task PutBackAsync(Executor executor)
    {
        // Every executor the shelf hands out is a thread executor, which says when it is idle.
        var host = executor as IPipelineHost;
        if (host is { IsIdle: false })
        {
            // A task's result reaches the run a moment before the task's own bookkeeping ends on the executor's
            // thread (the run may even go on inline, on that thread): wait for that moment, not for work still running.
            try
            {
                await host.WhenIdleAsync().WaitAsync(s_finishingTasks);
            }
            catch (TimeoutException)
            {
                // Work that outlives its run; the shutdown below waits for it.
            }
        }

        if (host is { IsIdle: true } && Interlocked.CompareExchange(ref _idle, executor, null) is null)
        {
            return;
        }

        await executor.ShutdownAsync();
    }
}
