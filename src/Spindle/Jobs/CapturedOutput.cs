using System.Buffers;
using System.Runtime.InteropServices;
using Spindle.Internal;

namespace Spindle.Jobs;

/// <summary>
/// A finished grouped job's stdout or stderr: the memfd the job wrote into, or a few bytes of the runner's own.
/// </summary>
/// <remarks>
/// The memfd is copied out in 64 KiB chunks only when the job's turn to be written comes, so a job that prints
/// gigabytes costs the runner one buffer instead of a gigabyte array (and never hits the 2 GiB array limit).
/// The job's output still occupies the memfd's pages until then, as it occupies GNU parallel's temp file.
/// </remarks>
internal sealed unsafe class CapturedOutput : IDisposable
{
    // Keep-order holds finished jobs back; outputs up to this size move into memory then, so that thousands of
    // held-back jobs do not hold thousands of descriptors.
    private const int InMemoryLimit = 64 * 1024;

    private int _fd;
    private byte[] _bytes;

    private CapturedOutput(int fd, byte[] bytes)
    {
        _fd = fd;
        _bytes = bytes;
    }

    public static CapturedOutput Empty => new(-1, []);

    public static CapturedOutput FromBytes(byte[] bytes) => new(-1, bytes);

    /// <summary>Takes ownership of <paramref name="fd"/>, a memfd holding everything the job wrote.</summary>
    public static CapturedOutput FromDescriptor(int fd) => new(fd, []);

    /// <summary>Moves the output into a new owner: disposing this one afterwards no longer closes the descriptor.</summary>
    public CapturedOutput Take()
    {
        var taken = new CapturedOutput(_fd, _bytes);
        _fd = -1;
        _bytes = [];
        return taken;
    }

    /// <summary>How many bytes the job wrote.</summary>
    public long Length => _fd >= 0 ? Math.Max(Libc.LSeek(_fd, 0, Libc.SEEK_END), 0) : _bytes.Length;

    /// <summary>Reads a small output into memory and closes its descriptor; a large one stays where it is.</summary>
    public void ShrinkIfSmall()
    {
        if (_fd >= 0 && Length <= InMemoryLimit)
        {
            var all = new ArrayBufferWriter<byte>();
            CopyTo(chunk => all.Write(chunk));
            _bytes = all.WrittenSpan.ToArray();
            Dispose();
        }
    }

    /// <summary>Hands the whole output to <paramref name="write"/>, in chunks of at most 64 KiB.</summary>
    public void CopyTo(Action<ReadOnlySpan<byte>> write)
    {
        if (_fd < 0)
        {
            write(_bytes);
            return;
        }

        var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            long offset = 0;
            while (true)
            {
                nint read;
                fixed (byte* p = buffer)
                {
                    read = Libc.PRead(_fd, p, buffer.Length, offset);
                }

                if (read < 0 && Marshal.GetLastPInvokeError() == Libc.EINTR)
                {
                    continue;
                }

                if (read <= 0)
                {
                    return;
                }

                write(buffer.AsSpan(0, (int)read));
                offset += read;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    public void Dispose()
    {
        if (_fd >= 0)
        {
            _ = Libc.Close(_fd);
            _fd = -1;
        }
    }
}
