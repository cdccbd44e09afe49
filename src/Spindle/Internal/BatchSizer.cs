using System.Diagnostics;

namespace Spindle.Internal;

/// <summary>
/// How many items go into one batch, for every technique that batches (the CPU lane's Map, the process executor's
/// Map, a pipeline stage's batch tasks): enough items for about <see cref="BatchSizing.Target"/> of work by the time
/// per item measured so far, so that the per-batch cost (a queue slot and a wake-up, or a frame and a round trip) is
/// small beside the work; and no more than <see cref="BatchSizing.MaxSize"/>, so that every thread or worker gets
/// some. Python's <c>Pool.map</c> asks the user for this number (<c>chunksize</c>); here it is measured, and a
/// caller's <c>MapOptions.BatchSize</c> turns the measuring off.
/// </summary>
/// <remarks>
/// One producer calls <see cref="Next"/>; any thread calls <see cref="Record(int, long)"/> as a batch ends. The estimate is one
/// word, read and written without a lock: a sample lost to a race only delays the estimate by one batch.
/// </remarks>
internal sealed class BatchSizer(BatchSizing sizing, int? fixedSize = null)
{
    private readonly double _targetTicks = sizing.Target.TotalSeconds * Stopwatch.Frequency;

    // The smoothed Stopwatch ticks per item, as the bits of a double; NaN until a batch has been measured.
    private long _estimateBits = BitConverter.DoubleToInt64Bits(double.NaN);

    // The size handed out last, which bounds the next one's growth; written by the producer only.
    private int _last = 1;

    /// <summary>The measured work time per item in Stopwatch ticks, rounded up; 0 until a batch has been measured.</summary>
    public long TicksPerItem => Estimate is var e && double.IsNaN(e) ? 0 : (long)Math.Ceiling(e);

    private double Estimate => BitConverter.Int64BitsToDouble(Volatile.Read(ref _estimateBits));

    /// <summary>The size of the next batch, at most <paramref name="limit"/> (a bound the caller knows of, such as what is buffered).</summary>
    public int Next(int limit = int.MaxValue)
    {
        if (fixedSize is { } size)
        {
            return size;
        }

        var estimate = Estimate;
        int fit;
        if (double.IsNaN(estimate))
        {
            // Nothing measured yet: the first items might each take seconds, so they go one by one.
            fit = 1;
        }
        else
        {
            fit = estimate <= 0 ? sizing.MaxSize : (int)Math.Clamp(_targetTicks / estimate, 1, sizing.MaxSize);
            if (sizing.MaxGrowth != int.MaxValue)
            {
                fit = (int)Math.Min(fit, (long)_last * sizing.MaxGrowth);
                _last = fit;
            }
        }

        return Math.Max(1, Math.Min(fit, limit));
    }

    /// <summary>Adds what a finished batch measured: <paramref name="items"/> took <paramref name="ticks"/> Stopwatch ticks of work.</summary>
    public void Record(int items, long ticks)
    {
        if (items <= 0)
        {
            return;
        }

        var sample = Math.Max(0, ticks) / (double)items;
        var previous = Estimate;
        var next = double.IsNaN(previous) ? sample : previous + (sizing.Weight * (sample - previous));
        Volatile.Write(ref _estimateBits, BitConverter.DoubleToInt64Bits(next));
    }

    /// <summary>Adds what a finished batch measured, as a duration.</summary>
    public void Record(int items, TimeSpan elapsed) =>
        Record(items, (long)(elapsed.TotalSeconds * Stopwatch.Frequency));
}

/// <summary>
/// A technique's parameters for <see cref="BatchSizer"/>: the work one batch should hold, the largest batch, how much
/// a batch may outgrow the one before it, and how much each new measurement counts against the ones before.
/// </summary>
internal readonly record struct BatchSizing(TimeSpan Target, int MaxSize, int MaxGrowth, double Weight)
{
    /// <summary>
    /// The CPU lane's Map: about 100 µs of work per batch, so its cost of about a microsecond stays near 1 %; at most
    /// twice the last size, so that one lucky measurement cannot hand a thread a long run of slow items.
    /// </summary>
    public static BatchSizing CpuLaneMap(int threads, int maxInFlight) =>
        new(TimeSpan.FromMicroseconds(100), FairShare(maxInFlight, threads), MaxGrowth: 2, Weight: 1.0 / 8);

    /// <summary>
    /// The process executor's Map: about 5 ms per batch, against a round trip of tens of microseconds; at most eight
    /// times the last size; only the last batch counts, since a worker's first one is slowed by the JIT and must be
    /// forgotten at once.
    /// </summary>
    public static BatchSizing ProcessMap(int workers, int maxInFlight) =>
        new(TimeSpan.FromMilliseconds(5), FairShare(maxInFlight, workers), MaxGrowth: 8, Weight: 1);

    /// <summary>
    /// A pipeline stage's batch: about 200 µs of work and at most 64 items, so that results keep flowing to the next
    /// stage; a task hands off once per time budget, not per batch, so larger batches would gain nothing. Smoothed
    /// over about eight batches: quick enough to follow a change of input, slow enough to ignore one outlier.
    /// </summary>
    public static BatchSizing Stage { get; } = new(TimeSpan.FromMicroseconds(200), 64, MaxGrowth: int.MaxValue, Weight: 1.0 / 8);

    /// <summary>Batches hold at most half of a worker's share of the Map's in-flight bound, so that every thread or worker has some.</summary>
    private static int FairShare(int maxInFlight, int workers) => Math.Max(1, maxInFlight / (2 * workers));
}
