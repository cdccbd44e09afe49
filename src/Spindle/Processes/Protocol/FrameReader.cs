using System.Buffers.Binary;

namespace Spindle.Processes.Protocol;

/// <summary>
/// Reads length-prefixed frames from a stream. The length is checked against the cap before anything is
/// allocated, so a peer cannot make this process allocate beyond the cap.
/// </summary>
internal sealed class FrameReader(Stream stream, int maxFrameBytes)
{
    /// <summary>The cap; small during the handshake, the configured size after it.</summary>
    public int MaxFrameBytes { get; set; } = maxFrameBytes;

    private readonly byte[] _header = new byte[4];
    private byte[] _body = new byte[64 * 1024];

    /// <summary>Reads the next frame; returns false at a clean end of stream. The body is valid until the next call.</summary>
    public bool TryRead(out FrameType type, out ReadOnlyMemory<byte> body)
    {
        type = default;
        body = default;
        var got = stream.ReadAtLeast(_header, 4, throwOnEndOfStream: false);
        if (got == 0)
        {
            return false;
        }

        if (got < 4)
        {
            throw new InvalidDataException("The channel ended in the middle of a frame header.");
        }

        var length = BinaryPrimitives.ReadInt32LittleEndian(_header);
        if (length < 1 || length > MaxFrameBytes)
        {
            throw new InvalidDataException($"A frame of {length} bytes was refused; frames must be between 1 and {MaxFrameBytes} bytes (ProcessExecutorOptions.MaxFrameBytes).");
        }

        if (length > _body.Length)
        {
            _body = new byte[Math.Max(length, Math.Min(_body.Length * 2, MaxFrameBytes))];
        }
        else if (_body.Length > 4 * 1024 * 1024 && length < 64 * 1024)
        {
            // A big frame passed; give its memory back rather than keep it for the channel's life.
            _body = new byte[64 * 1024];
        }

        stream.ReadExactly(_body, 0, length);
        type = (FrameType)_body[0];
        body = _body.AsMemory(1, length - 1);
        return true;
    }
}
