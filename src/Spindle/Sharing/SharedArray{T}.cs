using System.Runtime.CompilerServices;
using System.Runtime.Versioning;

namespace Spindle.Sharing;

/// <summary>
/// A block of unmanaged values in memory shared between this process and its worker processes (Python's
/// <c>multiprocessing.shared_memory</c> with a numpy view over it). Passed to a task, it crosses as a handle, never its
/// contents; a worker maps it once and caches the mapping, and its writes are seen by the parent.
/// </summary>
/// <remarks>
/// The owner (the process that called <see cref="Create(int)"/>, or the parent that received one made by its worker)
/// disposes it, which removes the segment; slices and the copies that tasks receive are views, whose Dispose does
/// nothing. Every segment is removed when the parent exits, even when it is SIGKILLed.
/// </remarks>
/// <typeparam name="T">An unmanaged element type: a number, or a struct of numbers.</typeparam>
[SupportedOSPlatform("linux")]
public sealed unsafe class SharedArray<T> : IDisposable
    where T : unmanaged
{
    private SharedArrayMemory<T>? _memory;

    internal SharedArray(SharedSegment segment, long offset, int length, bool isOwner)
    {
        Segment = segment;
        Offset = offset;
        Length = length;
        IsOwner = isOwner;
    }

    /// <summary>The number of elements.</summary>
    public int Length { get; }

    /// <summary>Whether disposing this array removes its segment (false for slices and for the copies tasks receive).</summary>
    public bool IsOwner { get; }

    /// <summary>The elements, over the shared pages themselves.</summary>
    public Span<T> Span => new(Pointer, Length);

    /// <summary>The elements as <see cref="Memory{T}"/>, for async code and APIs that take memory rather than spans.</summary>
    public Memory<T> Memory => (_memory ??= new SharedArrayMemory<T>(this)).Memory;

    internal SharedSegment Segment { get; }

    /// <summary>The first element's index within the segment.</summary>
    internal long Offset { get; }

    internal T* Pointer => (T*)Segment.Data + Offset;

    /// <summary>The element at <paramref name="index"/>, by reference; an index outside the array throws.</summary>
    public ref T this[int index]
    {
        get
        {
            if ((uint)index >= (uint)Length)
            {
                ThrowIndex(index);
            }

            return ref Pointer[index];
        }
    }

    /// <summary>Makes a zeroed shared array of <paramref name="length"/> elements.</summary>
    public static SharedArray<T> Create(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        var segment = SegmentTable.Create(SegmentKind.Array, sizeof(T), length, (long)length * sizeof(T));
        return new SharedArray<T>(segment, 0, length, isOwner: true);
    }

    /// <summary>Makes a shared array holding a copy of <paramref name="values"/>.</summary>
    public static SharedArray<T> Create(ReadOnlySpan<T> values)
    {
        var array = Create(values.Length);
        values.CopyTo(array.Span);
        return array;
    }

    /// <summary>A view of <paramref name="length"/> elements from <paramref name="start"/>, over the same memory.</summary>
    public SharedArray<T> Slice(int start, int length)
    {
        if ((uint)start > (uint)Length || (uint)length > (uint)(Length - start))
        {
            throw new ArgumentOutOfRangeException(nameof(length), $"The slice of {length} elements from {start} does not fit in the shared array of {Length} elements; keep start + length within Length.");
        }

        return new SharedArray<T>(Segment, Offset + start, length, isOwner: false);
    }

    /// <summary>A view of the elements from <paramref name="start"/> to the end.</summary>
    public SharedArray<T> Slice(int start) => Slice(start, Length - start);

    /// <summary>
    /// Splits the array into <paramref name="parts"/> consecutive views whose lengths differ by at most one, so that
    /// <c>executor.Map(work, array.Partition(n))</c> hands one part to each task.
    /// </summary>
    public SharedArray<T>[] Partition(int parts)
    {
        if (parts <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(parts), $"A shared array is partitioned into at least 1 part (was {parts}).");
        }

        var result = new SharedArray<T>[parts];
        var start = 0;
        for (var i = 0; i < parts; i++)
        {
            var length = (Length / parts) + (i < Length % parts ? 1 : 0);
            result[i] = new SharedArray<T>(Segment, Offset + start, length, isOwner: false);
            start += length;
        }

        return result;
    }

    /// <summary>Copies the elements into a new managed array.</summary>
    public T[] ToArray() => Span.ToArray();

    /// <summary>For the owner, removes the segment and unmaps it; for a view, does nothing.</summary>
    /// <remarks>No task may be using the array when its owner disposes it: its pages are unmapped here.</remarks>
    public void Dispose()
    {
        if (IsOwner)
        {
            SegmentTable.Remove(Segment);
        }
    }

    /// <inheritdoc/>
    public override string ToString() => $"SharedArray<{typeof(T).Name}>[{Length}] (segment {Segment.Name}, from {Offset})";

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ThrowIndex(int index) =>
        throw new ArgumentOutOfRangeException(nameof(index), $"Index {index} is outside the shared array of {Length} elements.");
}
