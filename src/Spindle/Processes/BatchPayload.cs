using System.Buffers;
using MessagePack;

namespace Spindle.Processes;

/// <summary>
/// Reads and cuts a batch's serialized items (a MessagePack array) without knowing their type: the parent keeps only
/// the bytes of a batch it sent, and a worker that stops a batch short leaves the parent to send the rest elsewhere.
/// </summary>
internal static class BatchPayload
{
    /// <summary>The number of items in a serialized batch; -1 if the bytes do not start with an array.</summary>
    public static int Count(ReadOnlyMemory<byte> payload)
    {
        try
        {
            var reader = new MessagePackReader(payload);
            return reader.ReadArrayHeader();
        }
        catch (Exception e) when (e is MessagePackSerializationException or EndOfStreamException)
        {
            return -1;
        }
    }

    /// <summary>A batch of the items after the first <paramref name="count"/>, their bytes copied unchanged.</summary>
    public static byte[] SkipItems(byte[] payload, int count)
    {
        var reader = new MessagePackReader(payload);
        var total = reader.ReadArrayHeader();
        for (var i = 0; i < count; i++)
        {
            reader.Skip();
        }

        var rest = payload.AsSpan(checked((int)reader.Consumed));
        var buffer = new ArrayBufferWriter<byte>(rest.Length + 5);
        var writer = new MessagePackWriter(buffer);
        writer.WriteArrayHeader(total - count);
        writer.Flush();
        buffer.Write(rest);
        return buffer.WrittenSpan.ToArray();
    }
}
