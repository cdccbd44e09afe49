namespace Spindle.Pipelines;

/// <summary>
/// The places of an ordered stage's window (items between take and write): a counting semaphore that can hand out
/// several places at once without waiting, as a batch needs one per item.
/// </summary>
/// <remarks>
/// A <see cref="SemaphoreSlim"/> takes its lock for every place tried, and a batch of cheap items tried one place per
/// item. Here a try is one compare-and-swap for any number of places; only a wait, when none is free, takes the lock.
/// </remarks>
internal sealed class WindowPlaces(int count)
{
    private readonly Lock _lock = new();

    // Waiters for one place each, oldest first, guarded by _lock. A released place goes to the oldest waiter first.
    private readonly Queue<TaskCompletionSource> _waiters = new();
    private int _free = count;

    // How many are queued in _waiters (or about to be); read without the lock by releasers.
    private int _waiting;

    /// <summary>Takes up to <paramref name="max"/> free places without waiting; returns how many.</summary>
    public int TryTake(int max)
    {
        while (true)
        {
            var free = Volatile.Read(ref _free);
            var n = Math.Min(free, max);
            if (n <= 0)
            {
                return 0;
            }

            if (Interlocked.CompareExchange(ref _free, free - n, free) == free)
            {
                return n;
            }
        }
    }

    /// <summary>Takes one place, waiting for one to be released if none is free; cancelled with <paramref name="token"/>.</summary>
    public Task WaitAsync(CancellationToken token)
    {
        if (TryTake(1) == 1)
        {
            return Task.CompletedTask;
        }

        TaskCompletionSource waiter;
        lock (_lock)
        {
            // Counted as waiting, then the free count tried again; a release adds to the free count, then looks for
            // waiters. With a full fence in each, at least one of the two sees the other, so no place is left free
            // while someone waits.
            Interlocked.Increment(ref _waiting);
            if (TryTake(1) == 1)
            {
                Interlocked.Decrement(ref _waiting);
                return Task.CompletedTask;
            }

            if (token.IsCancellationRequested)
            {
                Interlocked.Decrement(ref _waiting);
                return Task.FromCanceled(token);
            }

            waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Enqueue(waiter);
        }

        return token.CanBeCanceled ? WaitCancellableAsync(waiter, token) : waiter.Task;
    }

    /// <summary>Gives back <paramref name="count"/> places: to the oldest waiters first, if any wait.</summary>
    public void Release(int count = 1)
    {
        if (count <= 0)
        {
            return;
        }

        Interlocked.Add(ref _free, count);
        if (Volatile.Read(ref _waiting) == 0)
        {
            return;
        }

        lock (_lock)
        {
            // Whatever is free now goes to the waiters, oldest first; a waiter cancelled meanwhile refuses its place,
            // which goes to the next.
            var places = TryTake(_waiters.Count);
            while (places > 0 && _waiters.TryDequeue(out var waiter))
            {
                Interlocked.Decrement(ref _waiting);
                if (waiter.TrySetResult())
                {
                    places--;
                }
            }

            Interlocked.Add(ref _free, places);
        }
    }

    private static async Task WaitCancellableAsync(TaskCompletionSource waiter, CancellationToken token)
    {
        using (token.UnsafeRegister(static (w, t) => ((TaskCompletionSource)w!).TrySetCanceled(t), waiter))
        {
            await waiter.Task.ConfigureAwait(false);
        }
    }
}
