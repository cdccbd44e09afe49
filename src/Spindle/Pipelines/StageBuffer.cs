using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace Spindle.Pipelines;

/// <summary>
/// The bounded buffer between two parts of a run (the source and the first stage, two stages, the last stage and the
/// consumer): a ring of items under one lock that is taken once per batch, whose writers, once it is full, wait until
/// its readers have taken it down to half, rather than being woken for every item taken. The last buffer of a run
/// whose results nobody reads discards what it is given.
/// </summary>
/// <remarks>
/// A stage takes and passes on its items in batches (see <see cref="StageRunner{TIn,TOut}"/>); a channel takes its lock
/// for every item, and on 2 cores the stages on either side of a buffer contend for that lock on nearly every item of
/// cheap work. Here a batch costs one acquisition on each side. A writer blocked on a plain bounded channel is woken,
/// on the thread pool, each time a reader takes one item; it writes one and blocks again. Behind a slow stage every
/// item then costs a thread hop, and the hop's thread competes for the cores with the slow stage itself. Waking writers
/// at half-full instead lets them write half a buffer in one go. The bound is unchanged: no more than the capacity is
/// ever buffered. The buffer is seen from outside as a <see cref="ChannelReader{T}"/> and a <see cref="ChannelWriter{T}"/>
/// with a channel's meaning (a completed buffer refuses writes with <see cref="ChannelClosedException"/>, and its
/// reader's completion ends once it is also empty).
/// </remarks>
internal sealed class StageBuffer<T>
{
    // Grown on demand up to the capacity, so that a large bound costs memory only when it is used.
    private const int InitialRing = 256;

    private readonly int _capacity;
    private readonly int _lowWater;
    private T[] _ring;

    // Guards the ring, the completion flag, the room waiter and the waiting loops; never held across anything that
    // can run user code or wait (a woken waiter's continuation runs asynchronously, on the thread pool).
    private readonly Lock _lock = new();
    private int _head;
    private int _count;

    // Written under the lock; read without it where a late answer is harmless (a completed buffer never takes an
    // item again, so completed and empty stays so).
    private volatile bool _completed;

    // Completed when the buffer has drained to the low-water mark; present only while some writer waits.
    private TaskCompletionSource? _room;

    // The next stage's loops waiting for an item, oldest first; each item written wakes one of them (see WaitForItemAsync).
    private readonly Queue<TaskCompletionSource> _takers = new();

    // Ends once the buffer is completed and empty, as a channel reader's Completion does.
    private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);

    // Set for the results buffer of RunAsync without a sink: results are dropped as they are passed on, so the last
    // stage never waits for a reader that only throws them away.
    private readonly bool _discard;

    public StageBuffer(int capacity, bool discard = false)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _discard = discard;
        _capacity = capacity;
        _ring = new T[Math.Min(capacity, InitialRing)];
        _lowWater = capacity / 2;
        Reader = new BufferReader(this);
        Writer = new BufferWriter(this);
    }

    public BufferReader Reader { get; }

    public BufferWriter Writer { get; }

    /// <summary>The most items the buffer holds.</summary>
    public int Capacity => _capacity;

    /// <summary>How many items are buffered now; read without the lock, so only an estimate while others write or read.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>Completed and empty: no item will come again.</summary>
    public bool IsDrained => _completed && Volatile.Read(ref _count) == 0;

    /// <summary>
    /// For the loops of the stage that reads this buffer: a task that ends when an item may be there to take, or the
    /// buffer has completed, or <paramref name="token"/> is cancelled (<see cref="WakeAllTakers"/>, registered once by
    /// the stage, wakes every waiting loop then). Ends at once if an item is already there.
    /// </summary>
    /// <remarks>
    /// Each item written wakes one waiting loop, on the thread pool: one hop per item that finds the stage idle. The
    /// channel's own <c>WaitToReadAsync</c> wakes every waiter for each item; one waiter at a time, behind a gate,
    /// costs a second hop per item, as the woken waiter hands the gate to the next, who only waits again.
    /// </remarks>
    public Task WaitForItemAsync(CancellationToken token) => Register(token)?.Task ?? Task.CompletedTask;

    /// <summary>Queues a waiter for the next item; null if an item is there already, the buffer has completed or <paramref name="token"/> is cancelled.</summary>
    private TaskCompletionSource? Register(CancellationToken token)
    {
        if (Volatile.Read(ref _count) > 0 || token.IsCancellationRequested)
        {
            return null;
        }

        lock (_lock)
        {
            // Checked again under the lock that every write takes: a write either came before (and is seen here) or
            // comes after the registration (and wakes it). A stop's WakeAllTakers takes the lock too, so a stop not
            // seen here comes after the registration and wakes it.
            if (_count > 0 || _completed || token.IsCancellationRequested)
            {
                return null;
            }

            var taker = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _takers.Enqueue(taker);
            return taker;
        }
    }

    /// <summary>Wakes every loop waiting in <see cref="WaitForItemAsync"/>: the buffer has completed, or the run is stopping.</summary>
    public void WakeAllTakers()
    {
        lock (_lock)
        {
            WakeTakers(_takers.Count);
        }
    }

    /// <summary>Writes <paramref name="item"/> if there is room; false if the buffer is full or completed.</summary>
    public bool TryWrite(T item) => TryWrite(new ReadOnlySpan<T>(in item)) == 1;

    /// <summary>Writes as many of <paramref name="items"/>, in order, as there is room for, under one lock; returns how many (0 if completed).</summary>
    public int TryWrite(ReadOnlySpan<T> items)
    {
        if (_discard)
        {
            return _completed ? 0 : items.Length;
        }

        lock (_lock)
        {
            if (_completed)
            {
                return 0;
            }

            var n = Math.Min(items.Length, _capacity - _count);
            if (_count + n > _ring.Length)
            {
                Grow(_count + n);
            }

            var tail = _head + _count;
            if (tail >= _ring.Length)
            {
                tail -= _ring.Length;
            }

            // At most two copies: up to the ring's end, then from its start.
            var first = Math.Min(n, _ring.Length - tail);
            items[..first].CopyTo(_ring.AsSpan(tail));
            items[first..n].CopyTo(_ring);
            Volatile.Write(ref _count, _count + n);
            WakeTakers(n);
            return n;
        }
    }

    /// <summary>Takes the oldest item, if any.</summary>
    public bool TryRead(out T item)
    {
        TaskCompletionSource? room;
        bool drained;
        lock (_lock)
        {
            if (_count == 0)
            {
                item = default!;
                return false;
            }

            item = DequeueOne();
            (room, drained) = AfterDequeue(1);
        }

        AfterRead(room, drained);
        return true;
    }

    /// <summary>Takes up to <paramref name="max"/> of the oldest items, in order, into <paramref name="into"/>, under one lock; returns how many.</summary>
    public int TryRead(List<T> into, int max)
    {
        TaskCompletionSource? room;
        bool drained;
        int n;
        lock (_lock)
        {
            n = Math.Min(max, _count);
            if (n <= 0)
            {
                return 0;
            }

            for (var i = 0; i < n; i++)
            {
                into.Add(DequeueOne());
            }

            (room, drained) = AfterDequeue(n);
        }

        AfterRead(room, drained);
        return n;
    }

    /// <summary>Under the lock: takes the item at the head of the ring, freeing its slot; the count is the caller's to update.</summary>
    private T DequeueOne()
    {
        var item = _ring[_head];
        if (RuntimeHelpers.IsReferenceOrContainsReferences<T>())
        {
            _ring[_head] = default!;
        }

        _head = _head + 1 == _ring.Length ? 0 : _head + 1;
        return item;
    }

    /// <summary>Under the lock, after <paramref name="n"/> items were taken: the new count, the room waiter to wake, and whether the buffer is now drained.</summary>
    private (TaskCompletionSource? Room, bool Drained) AfterDequeue(int n)
    {
        Volatile.Write(ref _count, _count - n);
        return (TakeRoom(), _count == 0 && _completed);
    }

    /// <summary>Completes the buffer: writes are refused from now on; readers take what is left, then find it ended.</summary>
    public bool TryComplete()
    {
        TaskCompletionSource? room;
        bool drained;
        lock (_lock)
        {
            if (_completed)
            {
                return false;
            }

            _completed = true;

            // A writer still waiting for room finds the buffer closed and gets a channel's answer; a loop waiting for
            // an item finds it ended.
            room = _room;
            _room = null;
            WakeTakers(_takers.Count);
            drained = _count == 0;
        }

        AfterRead(room, drained);
        return true;
    }

    /// <summary>Under the lock: a larger ring for at least <paramref name="needed"/> items (at most the capacity), the items moved to its start, in order.</summary>
    private void Grow(int needed)
    {
        var ring = new T[Math.Min(_capacity, Math.Max(needed, 2 * _ring.Length))];
        var first = Math.Min(_count, _ring.Length - _head);
        _ring.AsSpan(_head, first).CopyTo(ring);
        _ring.AsSpan(0, _count - first).CopyTo(ring.AsSpan(first));
        _ring = ring;
        _head = 0;
    }

    /// <summary>Under the lock, after a read: the room waiter to wake, if the buffer is now down to the low-water mark.</summary>
    private TaskCompletionSource? TakeRoom()
    {
        if (_room is null || _count > _lowWater)
        {
            return null;
        }

        var room = _room;
        _room = null;
        return room;
    }

    private void AfterRead(TaskCompletionSource? room, bool drained)
    {
        room?.TrySetResult();
        if (drained)
        {
            _drained.TrySetResult();
        }
    }

    /// <summary>Under the lock: wakes up to <paramref name="count"/> waiting loops (their continuations run on the thread pool).</summary>
    private void WakeTakers(int count)
    {
        while (count > 0 && _takers.TryDequeue(out var taker))
        {
            // A waiter that gave up (cancelled) refuses the wake, which goes to the next.
            if (taker.TrySetResult())
            {
                count--;
            }
        }
    }

    /// <summary>A task that ends when the buffer has drained to the low-water mark or completed (or at once if it already has).</summary>
    private Task RoomAsync()
    {
        lock (_lock)
        {
            if (_count <= _lowWater || _completed)
            {
                return Task.CompletedTask;
            }

            _room ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return _room.Task;
        }
    }

    private async ValueTask WriteSlowAsync(T item, CancellationToken token)
    {
        while (!TryWrite(item))
        {
            if (_completed)
            {
                throw new ChannelClosedException();
            }

            await RoomAsync().WaitAsync(token);
        }
    }

    private async ValueTask<bool> WaitToReadSlowAsync(CancellationToken token)
    {
        while (true)
        {
            if (Register(CancellationToken.None) is { } taker)
            {
                // A wait given up is completed as cancelled, so that it cannot take the wake of an item written later
                // from a waiter still there.
                using (token.UnsafeRegister(static (t, cancelled) => ((TaskCompletionSource)t!).TrySetCanceled(cancelled), taker))
                {
                    await taker.Task.ConfigureAwait(false);
                }
            }

            if (Volatile.Read(ref _count) > 0)
            {
                return true;
            }

            if (IsDrained)
            {
                return false;
            }
        }
    }

    /// <summary>The buffer's reader, as a channel's; a stage's loops also wait through it, with <see cref="Buffer"/>'s <see cref="WaitForItemAsync"/>.</summary>
    internal sealed class BufferReader(StageBuffer<T> buffer) : ChannelReader<T>
    {
        public StageBuffer<T> Buffer => buffer;

        public override Task Completion => buffer._drained.Task;

        public override bool CanCount => true;

        public override int Count => buffer.Count;

        public override bool TryRead(out T item) => buffer.TryRead(out item);

        public override ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken = default)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                return ValueTask.FromCanceled<bool>(cancellationToken);
            }

            if (buffer.Count > 0)
            {
                return new ValueTask<bool>(true);
            }

            return buffer.IsDrained ? new ValueTask<bool>(false) : buffer.WaitToReadSlowAsync(cancellationToken);
        }
    }

    /// <summary>The buffer's writer, as a channel's.</summary>
    internal sealed class BufferWriter(StageBuffer<T> buffer) : ChannelWriter<T>
    {
        public override bool TryWrite(T item) => buffer.TryWrite(item);

        public override ValueTask WriteAsync(T item, CancellationToken cancellationToken = default)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                return ValueTask.FromCanceled(cancellationToken);
            }

            return buffer.TryWrite(item) ? ValueTask.CompletedTask : buffer.WriteSlowAsync(item, cancellationToken);
        }

        public override ValueTask<bool> WaitToWriteAsync(CancellationToken cancellationToken = default) =>
            throw new NotSupportedException("A stage buffer's writers write with WriteAsync, which waits for room itself.");

        public override bool TryComplete(Exception? error = null)
        {
            if (error is not null)
            {
                throw new NotSupportedException("A stage buffer ends without an error; a run's errors reach its caller through the run.");
            }

            return buffer.TryComplete();
        }
    }
}
