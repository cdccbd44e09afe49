using System.Diagnostics;

namespace Spindle.Threads;

/// <summary>
/// Chooses how many Map items go into one CPU lane batch, from how long items have taken so far: enough that
/// the per-batch cost (a Task, a queue slot, a wake-up) is small beside the work, few enough that the lane's
/// threads share the work evenly and a batch stays well under a millisecond. Python's Pool.map asks the user
/// for this number (chunksize); here it is measured.
/// </summary>
internal sealed class MapBatchSizer
{
    // About 100 microseconds of work per batch: the per-batch cost, around a microsecond, stays near 1 %.
    private static readonly long s_targetTicks = Stopwatch.Frequency / 10_000;

    private readonly int _max;
    private readonly int? _fixed;
    private long _items;
    private long _ticks;
    private int _last = 1;

    /// <param name="fixedSize">MapOptions.BatchSize, when the caller chose it.</param>
    /// <param name="maxInFlight">The Map's in-flight bound; batches are kept to a fraction of it so every thread gets some.</param>
    /// <param name="threads">How many threads the lane runs.</param>
    public MapBatchSizer(int? fixedSize, int maxInFlight, int threads)
    {
        _fixed = fixedSize;
        _max = Math.Max(1, maxInFlight / (2 * threads));
    }

    /// <summary>The size of the next batch.</summary>
    public int Next()
    {
        if (_fixed is { } size)
        {
            return size;
        }

        var items = Volatile.Read(ref _items);
        var ticks = Volatile.Read(ref _ticks);
        if (items == 0)
        {
            // Nothing measured yet: the first items might each take seconds, so they go one by one.
            return 1;
        }

        var fit = ticks == 0 ? _max : (int)Math.Clamp(s_targetTicks * items / ticks, 1, _max);

        // Grow at most twofold per batch, so that one lucky measurement cannot hand a thread a long run of slow items.
        _last = Math.Min(fit, _last * 2);
        return _last;
    }

    /// <summary>Adds what a finished batch measured; called by lane threads, read by the Map's producer.</summary>
    public void Record(int items, long ticks)
    {
        if (items > 0)
        {
            Interlocked.Add(ref _ticks, ticks);
            Interlocked.Add(ref _items, items);
        }
    }
}
