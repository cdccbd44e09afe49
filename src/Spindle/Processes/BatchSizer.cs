namespace Spindle.Processes;

/// <summary>
/// Chooses Map's batch size: small until the first batches say how long an item takes, then enough items for
/// about <see cref="Target"/> of work per batch, capped so every worker has batches to chew on and the
/// in-flight bound holds. A fixed MapOptions.BatchSize turns it off.
/// </summary>
internal sealed class BatchSizer(int? fixedSize, int workers, int maxInFlight)
{
    private static readonly TimeSpan Target = TimeSpan.FromMilliseconds(5);
    private readonly int _cap = Math.Max(1, maxInFlight / (2 * workers));
    private int _next = fixedSize ?? 1;

    /// <summary>Batches sent and not yet back: two per worker keeps each one busy while results travel.</summary>
    public int MaxBatchesInFlight { get; } = 4 * workers;

    public int Next => Math.Min(_next, fixedSize ?? _cap);

    public void Observe(TimeSpan elapsed, int items)
    {
        if (fixedSize is not null || items == 0)
        {
            return;
        }

        var perItem = elapsed.Ticks / (double)items;

        // Grow at most 8x per observation: a first measurement on a cold worker (JIT) is pessimistic.
        var wanted = perItem <= 0 ? _next * 8 : (int)Math.Clamp(Target.Ticks / perItem, 1, int.MaxValue);
        _next = Math.Clamp(wanted, 1, Math.Max(1, _next * 8));
    }
}
