using System.Runtime.Versioning;

namespace Spindle.Sharing;

/// <summary>
/// A 64-bit integer that this process and its worker processes update atomically (Python's
/// <c>multiprocessing.Value('q')</c> with its lock, without the lock): every operation is one atomic instruction
/// on the shared page.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed unsafe class SharedCounter : IDisposable, ISharedObject<SharedCounter>
{
    private readonly bool _isOwner;

    private SharedCounter(SharedSegment segment, bool isOwner)
    {
        Segment = segment;
        _isOwner = isOwner;
    }

    static SegmentKind ISharedObject<SharedCounter>.Kind => SegmentKind.Counter;

    static string ISharedObject<SharedCounter>.What => nameof(SharedCounter);

    /// <summary>The current value.</summary>
    public long Value => Volatile.Read(ref *Word);

    SharedSegment ISharedObject<SharedCounter>.Segment => Segment;

    internal SharedSegment Segment { get; }

    private long* Word => (long*)Segment.Data;

    /// <summary>Makes a new counter holding <paramref name="initialValue"/>.</summary>
    public static SharedCounter Create(long initialValue = 0)
    {
        var counter = new SharedCounter(SegmentTable.Create(SegmentKind.Counter, sizeof(long), 1, 64), isOwner: true);
        *counter.Word = initialValue;
        return counter;
    }

    static SharedCounter ISharedObject<SharedCounter>.Attach(SharedSegment segment, bool isOwner) => new(segment, isOwner);

    /// <summary>Adds one; returns the new value.</summary>
    public long Increment() => Interlocked.Increment(ref *Word);

    /// <summary>Subtracts one; returns the new value.</summary>
    public long Decrement() => Interlocked.Decrement(ref *Word);

    /// <summary>Adds <paramref name="value"/>; returns the new value.</summary>
    public long Add(long value) => Interlocked.Add(ref *Word, value);

    /// <summary>Sets <paramref name="value"/>; returns the value before.</summary>
    public long Exchange(long value) => Interlocked.Exchange(ref *Word, value);

    /// <summary>Sets <paramref name="value"/> if the counter holds <paramref name="comparand"/>; returns the value before.</summary>
    public long CompareExchange(long value, long comparand) => Interlocked.CompareExchange(ref *Word, value, comparand);

    /// <summary>For the counter's maker, removes its segment.</summary>
    public void Dispose()
    {
        if (_isOwner)
        {
            SegmentTable.Remove(Segment);
        }
    }
}
