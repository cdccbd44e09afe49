using System.Buffers;
using System.Threading.Channels;
using MessagePack;
using Spindle.Processes;

namespace Spindle.Sharing;

/// <summary>The writing side of a <see cref="SharedQueue{T}"/>, as a channel writer.</summary>
internal sealed class SharedQueueWriter<T>(SharedRing ring) : ChannelWriter<T>
{
    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_buffer;

    public override bool TryWrite(T item) => Write(item) == RingWrite.Written;

    public override ValueTask<bool> WaitToWriteAsync(CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<bool>(cancellationToken);
        }

        return WaiterThreads.Run(ring, static r => r.IsCompleted ? false : r.HasSpace() ? true : null, static (r, t) => r.WaitToWrite(t), cancellationToken);
    }

    public override ValueTask WriteAsync(T item, CancellationToken cancellationToken = default)
    {
        var outcome = Write(item);
        return outcome == RingWrite.Written ? default : WriteSlowAsync(item, outcome, cancellationToken);
    }

    public override bool TryComplete(Exception? error = null) => ring.Complete();

    private async ValueTask WriteSlowAsync(T item, RingWrite outcome, CancellationToken cancellationToken)
    {
        while (outcome != RingWrite.Written)
        {
            if (outcome == RingWrite.Completed || !await WaitToWriteAsync(cancellationToken))
            {
                throw new ChannelClosedException("The shared queue was completed; nothing can be written to it any more.");
            }

            outcome = Write(item);
        }
    }

    private RingWrite Write(T item)
    {
        var buffer = t_buffer ??= new ArrayBufferWriter<byte>(256);
        buffer.ResetWrittenCount();
        MessagePackSerializer.Serialize(buffer, item, PayloadSerializer.Options);
        return ring.TryWrite(buffer.WrittenSpan);
    }
}
