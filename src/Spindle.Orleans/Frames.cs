using System.Buffers.Binary;
using Spindle.Processes.Protocol;

namespace Spindle.Orleans;

/// <summary>
/// Reads back-to-back frames of the process protocol ([int32 body length][byte type][fields]) out of one array, as
/// Orleans delivers them: whole, so no frame is ever cut and nothing needs copying.
/// </summary>
internal static class Frames
{
    public static byte[] Of<T>(T message)
        where T : struct, IMessage => message.ToFrame();

    public static IEnumerable<(FrameType Type, ReadOnlyMemory<byte> Body)> Read(byte[] frames)
    {
        var offset = 0;
        while (offset < frames.Length)
        {
            if (frames.Length - offset < 5)
            {
                throw new InvalidDataException("A cluster message ended in the middle of a frame header.");
            }

            var length = BinaryPrimitives.ReadInt32LittleEndian(frames.AsSpan(offset));
            if (length < 1 || length > frames.Length - offset - 4)
            {
                throw new InvalidDataException($"A cluster message holds a frame of {length} bytes, past its end.");
            }

            yield return ((FrameType)frames[offset + 4], frames.AsMemory(offset + 5, length - 1));
            offset += 4 + length;
        }
    }
}
