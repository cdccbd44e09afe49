using System.Buffers.Binary;
using System.Text;

namespace Spindle.Processes.Protocol;

/// <summary>
/// A growable buffer that frames are written into: [int32 body length][byte type][fields]. Several frames
/// accumulate before one write to the socket, which is what makes small tasks cheap.
/// </summary>
internal sealed class FrameBuffer
{
    private byte[] _bytes;
    private int _length;
    private int _frameStart = -1;

    public FrameBuffer(int capacity = 64 * 1024) => _bytes = new byte[capacity];

    public int Length => _length;

    public ReadOnlySpan<byte> Written => _bytes.AsSpan(0, _length);

    public void Clear() => _length = 0;

    public void BeginFrame(FrameType type)
    {
        _frameStart = _length;
        Ensure(5);
        _length += 4;
        _bytes[_length++] = (byte)type;
    }

    public void EndFrame()
    {
        BinaryPrimitives.WriteInt32LittleEndian(_bytes.AsSpan(_frameStart), _length - _frameStart - 4);
        _frameStart = -1;
    }

    public void WriteByte(byte value)
    {
        Ensure(1);
        _bytes[_length++] = value;
    }

    public void WriteInt32(int value)
    {
        Ensure(4);
        BinaryPrimitives.WriteInt32LittleEndian(_bytes.AsSpan(_length), value);
        _length += 4;
    }

    public void WriteInt64(long value)
    {
        Ensure(8);
        BinaryPrimitives.WriteInt64LittleEndian(_bytes.AsSpan(_length), value);
        _length += 8;
    }

    public void WriteString(string value)
    {
        var count = Encoding.UTF8.GetByteCount(value);
        WriteInt32(count);
        Ensure(count);
        _length += Encoding.UTF8.GetBytes(value, _bytes.AsSpan(_length));
    }

    public void WriteBytes(ReadOnlySpan<byte> value)
    {
        Ensure(value.Length);
        value.CopyTo(_bytes.AsSpan(_length));
        _length += value.Length;
    }

    /// <summary>Drops a big array after a big frame, so one 64 MB argument does not pin 64 MB for the worker's life.</summary>
    public void ShrinkIfLarge(int keep = 1024 * 1024)
    {
        if (_length == 0 && _bytes.Length > keep)
        {
            _bytes = new byte[64 * 1024];
        }
    }

    private void Ensure(int more)
    {
        if (_length + more > _bytes.Length)
        {
            Array.Resize(ref _bytes, Math.Max(_bytes.Length * 2, _length + more));
        }
    }
}
