using System.Threading.Channels;
using MessagePack;
using Spindle.Processes;

namespace Spindle.Sharing;

/// <summary>The reading side of a <see cref="SharedQueue{T}"/>, as a channel reader.</summary>
internal sealed class SharedQueueReader<T>(SharedRing ring) : ChannelReader<T>
{
    [ThreadStatic]
    private static byte[]? t_buffer;

    public override bool CanCount => true;

    public override int Count => (int)ring.Count;

    public override bool TryRead(out T item)
    {
        var buffer = t_buffer is { } b && b.Length >= ring.SlotBytes ? b : t_buffer = new byte[ring.SlotBytes];
        var length = ring.TryRead(buffer);
        if (length < 0)
        {
            item = default!;
            return false;
        }

        // Deserialized from a copy, after the slot has gone back to the writers: a slow item type does not hold
        // up the ring.
        item = MessagePackSerializer.Deserialize<T>(buffer.AsMemory(0, length), PayloadSerializer.Options);
        return true;
    }

    public override ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<bool>(cancellationToken);
        }

        return WaiterThreads.Run(ring, static r => r.HasItem() ? true : r.IsDrained ? false : null, static (r, t) => r.WaitToRead(t), cancellationToken);
    }

    public override ValueTask<T> ReadAsync(CancellationToken cancellationToken = default) =>
        TryRead(out var item) ? new(item) : ReadSlowAsync(cancellationToken);

    private async ValueTask<T> ReadSlowAsync(CancellationToken cancellationToken)
    {
        while (await WaitToReadAsync(cancellationToken))
        {
            if (TryRead(out var item))
            {
                return item;
            }
        }

        throw new ChannelClosedException("The shared queue was completed and is empty.");
    }
}
