using System.Diagnostics.CodeAnalysis;
using System.Runtime.Versioning;
using System.Threading.Channels;

namespace Spindle.Sharing;

/// <summary>
/// A bounded queue between this process and its worker processes (Python's <c>multiprocessing.Queue</c>), with the
/// shape of a bounded <see cref="Channel{T}"/>: many writers and readers in any of the processes, <c>WriteAsync</c>
/// waiting while it is full, <c>ReadAllAsync</c> ending once the writer side is completed and the queue is empty.
/// Passed to a task, it crosses as a handle; items are MessagePack in fixed-size slots of shared memory.
/// </summary>
/// <typeparam name="T">The item type: anything a task's argument may be, serialized to at most the slot size.</typeparam>
[SuppressMessage("Naming", "CA1711:Identifiers should not have incorrect suffix", Justification = "It is a queue: Python's multiprocessing.Queue, the name users look for.")]
[SupportedOSPlatform("linux")]
public sealed class SharedQueue<T> : IDisposable, ISharedObject<SharedQueue<T>>
{
    private readonly bool _isOwner;

    private SharedQueue(SharedSegment segment, bool isOwner)
    {
        Segment = segment;
        _isOwner = isOwner;
        Ring = new SharedRing(segment);
        Reader = new SharedQueueReader<T>(Ring);
        Writer = new SharedQueueWriter<T>(Ring);
    }

    static SegmentKind ISharedObject<SharedQueue<T>>.Kind => SegmentKind.Queue;

    static string ISharedObject<SharedQueue<T>>.What => $"SharedQueue<{typeof(T).Name}>";

    /// <summary>Reads items: <c>ReadAsync</c>, <c>TryRead</c>, <c>WaitToReadAsync</c>, <c>ReadAllAsync</c>.</summary>
    public ChannelReader<T> Reader { get; }

    /// <summary>Writes items: <c>WriteAsync</c> (waits while full), <c>TryWrite</c>, <c>Complete</c>.</summary>
    public ChannelWriter<T> Writer { get; }

    /// <summary>How many items fit before writers wait.</summary>
    public int Capacity => (int)Ring.Capacity;

    /// <summary>The largest serialized item, in bytes.</summary>
    public int SlotBytes => Ring.SlotBytes;

    /// <summary>About how many items are queued now (Python's <c>qsize()</c>).</summary>
    public int Count => (int)Ring.Count;

    SharedSegment ISharedObject<SharedQueue<T>>.Segment => Segment;

    internal SharedSegment Segment { get; }

    internal SharedRing Ring { get; }

    /// <summary>Makes a queue of <paramref name="capacity"/> slots, each holding one item of at most <paramref name="slotBytes"/> bytes as MessagePack.</summary>
    public static SharedQueue<T> Create(int capacity, int slotBytes = 256)
    {
        if (capacity <= 0 || slotBytes <= 0 || slotBytes > 1024 * 1024)
        {
            throw new ArgumentOutOfRangeException(
                capacity <= 0 ? nameof(capacity) : nameof(slotBytes),
                $"A shared queue needs a capacity above 0 (was {capacity}) and a slot size from 1 byte to 1 MiB (was {slotBytes}); for larger items, pass a SharedArray through the queue's items instead.");
        }

        var segment = SegmentTable.Create(SegmentKind.Queue, slotBytes, capacity, SharedRing.DataBytes(capacity, slotBytes));
        var queue = new SharedQueue<T>(segment, isOwner: true);
        queue.Ring.Initialise();
        return queue;
    }

    static SharedQueue<T> ISharedObject<SharedQueue<T>>.Attach(SharedSegment segment, bool isOwner) => new(segment, isOwner);

    /// <summary>For the queue's maker, removes its segment; processes that hold a handle keep working on their mapping.</summary>
    public void Dispose()
    {
        if (_isOwner)
        {
            SegmentTable.Remove(Segment);
        }
    }
}
