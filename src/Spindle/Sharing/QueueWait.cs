namespace Spindle.Sharing;

/// <summary>
/// How a shared queue's async waits wait. Another process's write can only be learnt from a futex, which blocks a
/// thread: off the thread pool (a worker's task thread, a dedicated thread) the wait blocks the caller, as Python's
/// blocking get and put do; on the pool, it moves to a thread of its own so that it cannot starve the pool.
/// </summary>
internal static class QueueWait
{
    public static ValueTask<bool> Run(Func<SharedRing, CancellationToken, bool> wait, SharedRing ring, CancellationToken cancellationToken)
    {
        if (!Thread.CurrentThread.IsThreadPoolThread)
        {
            try
            {
                return new(wait(ring, cancellationToken));
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return ValueTask.FromCanceled<bool>(cancellationToken);
            }
        }

        return new(Task.Factory.StartNew(() => wait(ring, cancellationToken), cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default));
    }
}
