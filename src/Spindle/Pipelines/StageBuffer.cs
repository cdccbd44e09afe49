using System.Threading.Channels;

namespace Spindle.Pipelines;

/// <summary>
/// The bounded buffer between two parts of a run (the source and the first stage, two stages, the last stage and the
/// consumer): a channel whose writers, once it is full, wait until its readers have taken it down to half, rather than
/// being woken for every item taken. The last buffer of a run whose results nobody reads discards what it is given.
/// </summary>
/// <remarks>
/// A writer blocked on a plain bounded channel is woken, on the thread pool, each time a reader takes one item; it
/// writes one and blocks again. Behind a slow stage every item then costs a thread hop, and the hop's thread competes
/// for the cores with the slow stage itself. Waking writers at half-full instead lets them write half a buffer in one
/// go. The bound is unchanged: no more than the capacity is ever buffered.
/// </remarks>
internal sealed class StageBuffer<T>
{
    private readonly Channel<T> _channel;
    private readonly int _lowWater;
    private readonly Lock _lock = new();

    // Completed when the buffer has drained to the low-water mark; present only while some writer waits. Guarded by
    // _lock for writes; read without it by readers, who take the lock only to claim it.
    private TaskCompletionSource? _room;
    private volatile bool _completed;

    // Set for the results buffer of RunAsync without a sink: results are dropped as they are passed on, so the last
    // stage never waits for a reader that only throws them away.
    private readonly bool _discard;

    // The next stage's loops waiting for an item, oldest first, guarded by _lock; _takerCount is their number, read
    // without the lock by writers. Each item written wakes one of them (see WaitForItemAsync).
    private readonly Queue<TaskCompletionSource> _takers = new();
    private int _takerCount;

    public StageBuffer(int capacity, bool singleWriter, bool discard = false)
    {
        _discard = discard;
        _channel = Channel.CreateBounded<T>(new BoundedChannelOptions(capacity)
        {
            SingleReader = false,
            SingleWriter = singleWriter,
            FullMode = BoundedChannelFullMode.Wait,
        });
        _lowWater = capacity / 2;
        Reader = new BufferReader(this);
        Writer = new BufferWriter(this);
    }

    public ChannelReader<T> Reader { get; }

    public ChannelWriter<T> Writer { get; }

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
    public Task WaitForItemAsync(CancellationToken token)
    {
        if (_channel.Reader.Count > 0 || _completed || token.IsCancellationRequested)
        {
            return Task.CompletedTask;
        }

        var taker = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_lock)
        {
            _takers.Enqueue(taker);
            _takerCount = _takers.Count;
        }

        // Registered, then checked again: a writer that wrote before the registration saw no one waiting, and one
        // after it sees the registration (a full fence on each side). Each late check wakes one waiter, so an item,
        // the end of the buffer or a stop that a waiter missed still wakes someone, if not always this one.
        Interlocked.MemoryBarrier();
        if (_channel.Reader.Count > 0 || _completed || token.IsCancellationRequested)
        {
            WakeTaker();
        }

        return taker.Task;
    }

    /// <summary>Wakes every loop waiting in <see cref="WaitForItemAsync"/>: the buffer has completed, or the run is stopping.</summary>
    public void WakeAllTakers()
    {
        TaskCompletionSource[] takers;
        lock (_lock)
        {
            takers = [.. _takers];
            _takers.Clear();
            _takerCount = 0;
        }

        foreach (var taker in takers)
        {
            taker.TrySetResult();
        }
    }

    /// <summary>After a successful write: wakes one waiting loop of the next stage, if any waits.</summary>
    private void OnWritten()
    {
        Interlocked.MemoryBarrier();
        if (Volatile.Read(ref _takerCount) != 0)
        {
            WakeTaker();
        }
    }

    private void WakeTaker()
    {
        TaskCompletionSource? taker;
        lock (_lock)
        {
            _takers.TryDequeue(out taker);
            _takerCount = _takers.Count;
        }

        taker?.TrySetResult();
    }

    /// <summary>After a successful read: wakes the waiting writers once the buffer is down to the low-water mark.</summary>
    private void OnRead()
    {
        if (Volatile.Read(ref _room) is null || _channel.Reader.Count > _lowWater)
        {
            return;
        }

        WakeWriters();
    }

    private void WakeWriters()
    {
        TaskCompletionSource? room;
        lock (_lock)
        {
            room = _room;
            _room = null;
        }

        room?.TrySetResult();
    }

    /// <summary>A task that ends when the buffer has drained to the low-water mark (or at once if it already has).</summary>
    private Task RoomAsync()
    {
        TaskCompletionSource room;
        lock (_lock)
        {
            room = _room ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        // Checked after the wait is registered: a read that drained the buffer before then saw no one waiting, and a
        // read after it sees the registration (the channel's lock orders the two counts).
        if (_channel.Reader.Count <= _lowWater || _completed)
        {
            WakeWriters();
        }

        return room.Task;
    }

    private async ValueTask WriteSlowAsync(T item, CancellationToken token)
    {
        while (!_channel.Writer.TryWrite(item))
        {
            if (_completed)
            {
                // A completed buffer refuses the item with the channel's own exception.
                await _channel.Writer.WriteAsync(item, token);
                return;
            }

            await RoomAsync().WaitAsync(token);
        }

        OnWritten();
    }

    /// <summary>The buffer's reader; a stage's loops also wait through it, with <see cref="Buffer"/>'s <see cref="WaitForItemAsync"/>.</summary>
    internal sealed class BufferReader(StageBuffer<T> buffer) : ChannelReader<T>
    {
        private readonly ChannelReader<T> _inner = buffer._channel.Reader;

        public StageBuffer<T> Buffer => buffer;

        public override Task Completion => _inner.Completion;

        public override bool CanCount => true;

        public override int Count => _inner.Count;

        public override bool CanPeek => true;

        public override bool TryRead(out T item)
        {
            if (!_inner.TryRead(out item!))
            {
                return false;
            }

            buffer.OnRead();
            return true;
        }

        public override bool TryPeek(out T item) => _inner.TryPeek(out item!);

        public override ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken = default) => _inner.WaitToReadAsync(cancellationToken);
    }

    private sealed class BufferWriter(StageBuffer<T> buffer) : ChannelWriter<T>
    {
        private readonly ChannelWriter<T> _inner = buffer._channel.Writer;

        public override bool TryWrite(T item)
        {
            if (buffer._discard)
            {
                return !buffer._completed;
            }

            if (!_inner.TryWrite(item))
            {
                return false;
            }

            buffer.OnWritten();
            return true;
        }

        public override ValueTask WriteAsync(T item, CancellationToken cancellationToken = default)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                return ValueTask.FromCanceled(cancellationToken);
            }

            return TryWrite(item) ? ValueTask.CompletedTask : buffer.WriteSlowAsync(item, cancellationToken);
        }

        public override ValueTask<bool> WaitToWriteAsync(CancellationToken cancellationToken = default) => _inner.WaitToWriteAsync(cancellationToken);

        public override bool TryComplete(Exception? error = null)
        {
            var completed = _inner.TryComplete(error);
            buffer._completed = true;

            // A writer still waiting for room finds the buffer closed and gets the channel's answer; a loop waiting
            // for an item finds it ended.
            buffer.WakeWriters();
            buffer.WakeAllTakers();
            return completed;
        }
    }
}
