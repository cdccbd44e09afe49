using System.Buffers.Binary;
using System.Text;

namespace Spindle.Processes.Protocol;

/// <summary>Reads a frame's fields in order; a frame too short for its fields is a protocol violation.</summary>
internal struct FieldReader(ReadOnlyMemory<byte> body)
{
    private int _offset;

    public readonly ReadOnlyMemory<byte> Rest => body[_offset..];

    public byte ReadByte()
    {
        Need(1);
        return body.Span[_offset++];
    }

    public int ReadInt32()
    {
        Need(4);
        var value = BinaryPrimitives.ReadInt32LittleEndian(body.Span[_offset..]);
        _offset += 4;
        return value;
    }

    public long ReadInt64()
    {
        Need(8);
        var value = BinaryPrimitives.ReadInt64LittleEndian(body.Span[_offset..]);
        _offset += 8;
        return value;
    }

    public string ReadString()
    {
        var count = ReadInt32();
        if (count < 0)
        {
            throw new InvalidDataException($"A frame holds a string of negative length ({count}).");
        }

        Need(count);
        var value = Encoding.UTF8.GetString(body.Span.Slice(_offset, count));
        _offset += count;
        return value;
    }

    public ReadOnlyMemory<byte> ReadBytes(int count)
    {
        if (count < 0)
        {
            throw new InvalidDataException($"A frame holds a field of negative length ({count}).");
        }

        Need(count);
        var value = body.Slice(_offset, count);
        _offset += count;
        return value;
    }

    private readonly void Need(int count)
    {
        if (body.Length - _offset < count)
        {
            throw new InvalidDataException($"A frame ended early: {count} more bytes were needed at offset {_offset} of {body.Length}.");
        }
    }
}
