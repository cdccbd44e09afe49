namespace Spindle.Sharing;

/// <summary>
/// The byte ring under a <see cref="SharedQueue{T}"/>: Vyukov's bounded multi-producer multi-consumer queue, laid out
/// in a shared segment so that every process mapping it takes part. Each slot carries a sequence number that says
/// whose turn it is: 2p when the writer of position p may fill it, 2p + 1 when its reader may empty it (doubled, unlike
/// Vyukov's p and p + 1, so that a ring of one slot cannot mistake a full slot for a free one). Positions are claimed
/// with one compare-and-swap, so no lock is held across processes and a slow process holds up only the slot it claimed.
/// </summary>
/// <remarks>
/// Layout after the segment header, each hot word on its own cache line: the write position (its bit 62 marks the
/// queue completed, so that completing and claiming a slot are one word's compare-and-swap and no item can be
/// written after completion), the read position, the items futex word and its sleeper count, the space futex word
/// and its sleeper count, then the slots: [sequence: 8][length: 4][payload], each 64-byte aligned.
/// Sleepers wait on a futex word that a writer (or reader) bumps only when its sleeper count is non-zero, so a
/// queue whose readers keep up makes no system call.
/// </remarks>
internal sealed unsafe class SharedRing
{
    private const long CompletedBit = 1L << 62;
    private const int SlotsOffset = 320;
    private const int SlotHeader = 12;

    private readonly SharedSegment _segment;

    public SharedRing(SharedSegment segment)
    {
        _segment = segment;
        Capacity = segment.Length;
        SlotBytes = segment.ElementSize;
        Stride = StrideFor(SlotBytes);
    }

    public long Capacity { get; }

    public int SlotBytes { get; }

    /// <summary>About how many items are queued now.</summary>
    public long Count => Math.Max(0, (Volatile.Read(ref *WritePosition) & ~CompletedBit) - Volatile.Read(ref *ReadPosition));

    public bool IsCompleted => (Volatile.Read(ref *WritePosition) & CompletedBit) != 0;

    /// <summary>Completed, and every written item has been read.</summary>
    public bool IsDrained
    {
        get
        {
            var write = Volatile.Read(ref *WritePosition);
            return (write & CompletedBit) != 0 && Volatile.Read(ref *ReadPosition) >= (write & ~CompletedBit);
        }
    }

    private int Stride { get; }

    private byte* Data => _segment.Data;

    private long* WritePosition => (long*)Data;

    private long* ReadPosition => (long*)(Data + 64);

    private int* ItemsVersion => (int*)(Data + 128);

    private int* ItemsSleepers => (int*)(Data + 132);

    private int* SpaceVersion => (int*)(Data + 192);

    private int* SpaceSleepers => (int*)(Data + 196);

    public static long DataBytes(long capacity, int slotBytes) => SlotsOffset + (capacity * StrideFor(slotBytes));

    /// <summary>Numbers the slots of a new ring: slot i waits for the writer of position i.</summary>
    public void Initialise()
    {
        for (long i = 0; i < Capacity; i++)
        {
            *Sequence(i) = 2 * i;
        }
    }

    /// <summary>Writes one item's bytes; the outcome says whether it went in, the ring was full, or it is completed.</summary>
    public RingWrite TryWrite(ReadOnlySpan<byte> item)
    {
        if (item.Length > SlotBytes)
        {
            throw new ArgumentException($"An item of {item.Length} bytes (serialized) does not fit the shared queue's slots of {SlotBytes} bytes; create the queue with a larger slotBytes.", nameof(item));
        }

        var position = Volatile.Read(ref *WritePosition);
        long* sequence;
        while (true)
        {
            if ((position & CompletedBit) != 0)
            {
                return RingWrite.Completed;
            }

            sequence = Sequence(position % Capacity);
            var turn = Volatile.Read(ref *sequence) - (2 * position);
            if (turn == 0)
            {
                var seen = Interlocked.CompareExchange(ref *WritePosition, position + 1, position);
                if (seen == position)
                {
                    break;
                }

                position = seen;
            }
            else if (turn < 0)
            {
                // The slot still holds the item of the previous lap: full.
                return RingWrite.Full;
            }
            else
            {
                position = Volatile.Read(ref *WritePosition);
            }
        }

        *(int*)(sequence + 1) = item.Length;
        item.CopyTo(new Span<byte>((byte*)sequence + SlotHeader, SlotBytes));

        // A full barrier, not a release: the sleeper count below must be read after the item is published, or a
        // reader that counts itself in and then finds the ring empty could sleep through this item.
        Interlocked.Exchange(ref *sequence, (2 * position) + 1);
        if (Volatile.Read(ref *ItemsSleepers) > 0)
        {
            Interlocked.Increment(ref *ItemsVersion);
            Futex.Wake(ItemsVersion);
        }

        return RingWrite.Written;
    }

    /// <summary>Reads one item's bytes into <paramref name="buffer"/> (of <see cref="SlotBytes"/>); -1 when the ring is empty.</summary>
    public int TryRead(Span<byte> buffer)
    {
        var position = Volatile.Read(ref *ReadPosition);
        long* sequence;
        while (true)
        {
            sequence = Sequence(position % Capacity);
            var turn = Volatile.Read(ref *sequence) - ((2 * position) + 1);
            if (turn == 0)
            {
                var seen = Interlocked.CompareExchange(ref *ReadPosition, position + 1, position);
                if (seen == position)
                {
                    break;
                }

                position = seen;
            }
            else if (turn < 0)
            {
                return -1;
            }
            else
            {
                position = Volatile.Read(ref *ReadPosition);
            }
        }

        var length = *(int*)(sequence + 1);
        if ((uint)length > (uint)SlotBytes)
        {
            throw new InvalidDataException($"A slot of the shared queue says it holds {length} bytes, more than its {SlotBytes}; the queue's memory was overwritten.");
        }

        new ReadOnlySpan<byte>((byte*)sequence + SlotHeader, length).CopyTo(buffer);

        // The slot goes back to writers for the next lap; full barrier for the same reason as in TryWrite.
        Interlocked.Exchange(ref *sequence, 2 * (position + Capacity));
        if (Volatile.Read(ref *SpaceSleepers) > 0)
        {
            Interlocked.Increment(ref *SpaceVersion);
            Futex.Wake(SpaceVersion);
        }

        return length;
    }

    /// <summary>Marks the ring completed; false if it already was. Wakes every sleeper, reader or writer.</summary>
    public bool Complete()
    {
        var position = Volatile.Read(ref *WritePosition);
        while ((position & CompletedBit) == 0)
        {
            var seen = Interlocked.CompareExchange(ref *WritePosition, position | CompletedBit, position);
            if (seen == position)
            {
                WakeAll();
                return true;
            }

            position = seen;
        }

        return false;
    }

    /// <summary>Sleeps until an item is there to read (true) or the ring is completed and drained (false).</summary>
    public bool WaitToRead(CancellationToken cancellationToken) =>
        WaitFor(static ring => ring.HasItem() ? true : ring.IsDrained ? false : null, ItemsVersion, ItemsSleepers, cancellationToken);

    /// <summary>Sleeps until a slot is free to write (true) or the ring is completed (false).</summary>
    public bool WaitToWrite(CancellationToken cancellationToken) =>
        WaitFor(static ring => ring.IsCompleted ? false : ring.HasSpace() ? true : null, SpaceVersion, SpaceSleepers, cancellationToken);

    /// <summary>Whether the slot at the read position holds an item (or others have moved past it: worth a try).</summary>
    public bool HasItem()
    {
        var position = Volatile.Read(ref *ReadPosition);
        return Volatile.Read(ref *Sequence(position % Capacity)) - ((2 * position) + 1) >= 0;
    }

    public bool HasSpace()
    {
        var position = Volatile.Read(ref *WritePosition) & ~CompletedBit;
        return Volatile.Read(ref *Sequence(position % Capacity)) - (2 * position) >= 0;
    }

    private static int StrideFor(int slotBytes) => (SlotHeader + slotBytes + 63) / 64 * 64;

    private long* Sequence(long slot) => (long*)(Data + SlotsOffset + (slot * Stride));

    private void WakeAll()
    {
        Interlocked.Increment(ref *ItemsVersion);
        Futex.Wake(ItemsVersion);
        Interlocked.Increment(ref *SpaceVersion);
        Futex.Wake(SpaceVersion);
    }

    private bool WaitFor(Func<SharedRing, bool?> ready, int* version, int* sleepers, CancellationToken cancellationToken)
    {
        // A short spin first: an item or a slot is often a few hundred nanoseconds away, and a futex sleep and wake
        // cost microseconds. Not longer, since on a busy machine spinning takes the core from the other side.
        for (var spin = new SpinWait(); !spin.NextSpinWillYield; spin.SpinOnce(sleep1Threshold: -1))
        {
            if (ready(this) is { } early)
            {
                return early;
            }
        }

        // Cancelling wakes every sleeper on the word; the others re-check and sleep again.
        using var registration = cancellationToken.UnsafeRegister(static s =>
        {
            var word = (int*)(nint)s!;
            Interlocked.Increment(ref *word);
            Futex.Wake(word);
        }, (nint)version);
        while (true)
        {
            if (ready(this) is { } result)
            {
                return result;
            }

            cancellationToken.ThrowIfCancellationRequested();

            // Count in, then read the version, then re-check: a writer that published before the count was seen
            // is found by the re-check; one after it bumps the version, and the futex then refuses to sleep.
            Interlocked.Increment(ref *sleepers);
            var seen = Volatile.Read(ref *version);
            if (ready(this) is null && !cancellationToken.IsCancellationRequested)
            {
                Futex.Wait(version, seen);
            }

            Interlocked.Decrement(ref *sleepers);
        }
    }
}
