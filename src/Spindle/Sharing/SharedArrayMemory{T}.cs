using System.Buffers;
using System.Runtime.Versioning;

namespace Spindle.Sharing;

/// <summary>Memory over a shared array's pages; they are never moved, so pinning needs nothing.</summary>
[SupportedOSPlatform("linux")]
internal sealed unsafe class SharedArrayMemory<T>(SharedArray<T> array) : MemoryManager<T>
    where T : unmanaged
{
    public override Span<T> GetSpan() => array.Span;

    public override MemoryHandle Pin(int elementIndex = 0)
    {
        if ((uint)elementIndex > (uint)array.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(elementIndex), $"Element {elementIndex} is outside the shared array of {array.Length} elements.");
        }

        return new MemoryHandle(array.Pointer + elementIndex);
    }

    public override void Unpin()
    {
    }

    protected override void Dispose(bool disposing)
    {
    }
}
