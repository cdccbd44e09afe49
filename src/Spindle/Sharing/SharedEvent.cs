using System.Runtime.Versioning;

namespace Spindle.Sharing;

/// <summary>
/// A manual-reset event that works across this process and its worker processes (Python's
/// <c>multiprocessing.Event</c>): <see cref="Set"/> wakes every waiter in every process, and it stays set until
/// <see cref="Reset"/>. Waiters sleep on a futex in the shared page.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed unsafe class SharedEvent : IDisposable, ISharedObject<SharedEvent>
{
    private readonly bool _isOwner;

    private SharedEvent(SharedSegment segment, bool isOwner)
    {
        Segment = segment;
        _isOwner = isOwner;
    }

    static SegmentKind ISharedObject<SharedEvent>.Kind => SegmentKind.Event;

    static string ISharedObject<SharedEvent>.What => nameof(SharedEvent);

    /// <summary>Whether the event is set.</summary>
    public bool IsSet => Volatile.Read(ref *State) != 0;

    SharedSegment ISharedObject<SharedEvent>.Segment => Segment;

    internal SharedSegment Segment { get; }

    // Two words: the state (0 unset, 1 set), which waiters sleep on, and how many sleep, so that Set makes no
    // system call when nobody waits.
    private int* State => (int*)Segment.Data;

    private int* Sleepers => (int*)Segment.Data + 1;

    /// <summary>Makes a new event, unset.</summary>
    public static SharedEvent Create() => new(SegmentTable.Create(SegmentKind.Event, sizeof(int), 2, 64), isOwner: true);

    static SharedEvent ISharedObject<SharedEvent>.Attach(SharedSegment segment, bool isOwner) => new(segment, isOwner);

    /// <summary>Sets the event and wakes every waiter.</summary>
    public void Set()
    {
        // The exchange is a full barrier: either a waiter's count is seen here, or that waiter sees the state set.
        if (Interlocked.Exchange(ref *State, 1) == 0 && Volatile.Read(ref *Sleepers) > 0)
        {
            Futex.Wake(State);
        }
    }

    /// <summary>Unsets the event.</summary>
    public void Reset() => Interlocked.Exchange(ref *State, 0);

    /// <summary>Waits until the event is set.</summary>
    public void Wait(CancellationToken cancellationToken = default) => Wait(Timeout.Infinite, cancellationToken);

    /// <summary>Waits until the event is set or <paramref name="timeout"/> passes; false on timeout.</summary>
    public bool Wait(TimeSpan timeout, CancellationToken cancellationToken = default) => Wait(SharedLock.ToMilliseconds(timeout), cancellationToken);

    /// <summary>
    /// Waits until the event is set, without blocking the calling thread (a dedicated waiter thread sleeps on the
    /// futex); true when set, false when <paramref name="timeout"/> passed first.
    /// </summary>
    public Task<bool> WaitAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var milliseconds = SharedLock.ToMilliseconds(timeout);
        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled<bool>(cancellationToken);
        }

        return WaiterThreads.Run(
            (Event: this, Deadline: milliseconds < 0 ? long.MaxValue : Environment.TickCount64 + milliseconds),
            static s => s.Event.IsSet ? true : null,
            static (s, token) => s.Event.Wait(s.Deadline == long.MaxValue ? Timeout.Infinite : (int)Math.Max(0, s.Deadline - Environment.TickCount64), token),
            cancellationToken).AsTask();
    }

    /// <summary>Waits until the event is set, without blocking the calling thread.</summary>
    public Task WaitAsync(CancellationToken cancellationToken = default) => WaitAsync(Timeout.InfiniteTimeSpan, cancellationToken);

    /// <summary>For the event's maker, removes its segment.</summary>
    public void Dispose()
    {
        if (_isOwner)
        {
            SegmentTable.Remove(Segment);
        }
    }

    private bool Wait(int timeoutMilliseconds, CancellationToken cancellationToken)
    {
        if (IsSet)
        {
            return true;
        }

        // Cancelling wakes every sleeper on this word; the others find the event still unset and sleep again.
        using var registration = cancellationToken.UnsafeRegister(static s => Futex.Wake((int*)(nint)s!), (nint)State);
        var deadline = timeoutMilliseconds < 0 ? long.MaxValue : Environment.TickCount64 + timeoutMilliseconds;
        Interlocked.Increment(ref *Sleepers);
        try
        {
            while (Volatile.Read(ref *State) == 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var left = deadline == long.MaxValue ? Timeout.Infinite : (int)Math.Max(0, deadline - Environment.TickCount64);
                if (left == 0)
                {
                    return false;
                }

                Futex.Wait(State, 0, left);
            }

            return true;
        }
        finally
        {
            Interlocked.Decrement(ref *Sleepers);
        }
    }
}
