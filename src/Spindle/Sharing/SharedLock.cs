using System.Runtime.Versioning;

namespace Spindle.Sharing;

/// <summary>
/// A lock that works across this process and its worker processes (Python's <c>multiprocessing.Lock</c>), shaped
/// like <see cref="Lock"/>: <see cref="Enter"/>, <see cref="Exit"/>, <see cref="EnterScope"/>. A waiter sleeps on a
/// futex in the shared page rather than spinning.
/// </summary>
/// <remarks>
/// It is not reentrant and not owned by a thread: any process may exit it. A process that dies holding it leaves it
/// held, as with Python's lock.
/// </remarks>
[SupportedOSPlatform("linux")]
public sealed unsafe class SharedLock : IDisposable, ISharedObject<SharedLock>
{
    // The word: 0 free, 1 held, 2 held with (possibly) sleepers — Drepper's "Futexes are tricky", mutex 2, so that an
    // uncontended Exit makes no system call.
    private const int Free = 0;
    private const int Held = 1;
    private const int Contended = 2;

    private readonly bool _isOwner;

    private SharedLock(SharedSegment segment, bool isOwner)
    {
        Segment = segment;
        _isOwner = isOwner;
    }

    static SegmentKind ISharedObject<SharedLock>.Kind => SegmentKind.Lock;

    static string ISharedObject<SharedLock>.What => nameof(SharedLock);

    /// <summary>Whether some process holds the lock now.</summary>
    public bool IsHeld => Volatile.Read(ref *Word) != Free;

    SharedSegment ISharedObject<SharedLock>.Segment => Segment;

    internal SharedSegment Segment { get; }

    private int* Word => (int*)Segment.Data;

    /// <summary>Makes a new lock, free.</summary>
    public static SharedLock Create() => new(SegmentTable.Create(SegmentKind.Lock, sizeof(int), 1, 64), isOwner: true);

    static SharedLock ISharedObject<SharedLock>.Attach(SharedSegment segment, bool isOwner) => new(segment, isOwner);

    /// <summary>Takes the lock, sleeping until it is free.</summary>
    public void Enter() => TryEnter(Timeout.Infinite);

    /// <summary>Takes the lock if it is free; never waits.</summary>
    public bool TryEnter() => Interlocked.CompareExchange(ref *Word, Held, Free) == Free;

    /// <summary>Takes the lock, waiting at most <paramref name="timeout"/>; false when it stayed held.</summary>
    public bool TryEnter(TimeSpan timeout) => TryEnter(ToMilliseconds(timeout));

    /// <summary>Takes the lock and returns a scope whose Dispose exits it: <c>using (sharedLock.EnterScope()) { … }</c>.</summary>
    public Scope EnterScope()
    {
        Enter();
        return new Scope(this);
    }

    /// <summary>Lets the lock go, waking one sleeper if there is one.</summary>
    public void Exit()
    {
        var was = Interlocked.Exchange(ref *Word, Free);
        if (was == Free)
        {
            throw new SynchronizationLockException("The shared lock was not held; call Exit once after each Enter.");
        }

        if (was == Contended)
        {
            Futex.Wake(Word, 1);
        }
    }

    /// <summary>For the lock's maker, removes its segment; processes that hold a handle keep working on their mapping.</summary>
    public void Dispose()
    {
        if (_isOwner)
        {
            SegmentTable.Remove(Segment);
        }
    }

    internal static int ToMilliseconds(TimeSpan timeout)
    {
        var milliseconds = (long)timeout.TotalMilliseconds;
        if (milliseconds < -1 || milliseconds > int.MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(timeout), $"The timeout must be between 0 and {int.MaxValue} ms, or Timeout.InfiniteTimeSpan (was {timeout}).");
        }

        return (int)milliseconds;
    }

    private bool TryEnter(int timeoutMilliseconds)
    {
        var word = Word;
        var seen = Interlocked.CompareExchange(ref *word, Held, Free);
        if (seen == Free)
        {
            return true;
        }

        // A holder usually lets go within a few hundred nanoseconds: a short spin saves two system calls, but no
        // more, since on a busy machine spinning takes the core from the holder.
        for (var spin = new SpinWait(); !spin.NextSpinWillYield; spin.SpinOnce(sleep1Threshold: -1))
        {
            if (Volatile.Read(ref *word) == Free && Interlocked.CompareExchange(ref *word, Held, Free) == Free)
            {
                return true;
            }
        }

        var deadline = timeoutMilliseconds < 0 ? long.MaxValue : Environment.TickCount64 + timeoutMilliseconds;

        // Mark the lock contended before sleeping, so the holder's Exit knows to wake someone; whoever takes it this
        // way keeps it marked contended, since other sleepers may remain.
        while (Interlocked.Exchange(ref *word, Contended) != Free)
        {
            var left = deadline == long.MaxValue ? Timeout.Infinite : (int)Math.Max(0, deadline - Environment.TickCount64);
            if (left == 0)
            {
                return false;
            }

            Futex.Wait(word, Contended, left);
        }

        return true;
    }

    /// <summary>Holds the lock until disposed.</summary>
    public readonly ref struct Scope
    {
        private readonly SharedLock _lock;

        internal Scope(SharedLock sharedLock) => _lock = sharedLock;

        /// <summary>Exits the lock.</summary>
        public void Dispose() => _lock.Exit();
    }
}
