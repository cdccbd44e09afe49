using System.ComponentModel;
using System.Runtime.InteropServices;

namespace Spindle.Jobs;

/// <summary>
/// One job's standard input under --pipe or --pipepart: a memfd holding the header and the job's records, given to
/// the job as fd 0.
/// </summary>
/// <remarks>
/// A memfd rather than a pipe: the job reads it at its own pace with no writer thread of ours beside each job, a
/// retried job reads it again from the start, and --pipepart fills it inside the kernel (sendfile) without the bytes
/// ever passing through this process.
/// </remarks>
internal sealed unsafe class PipeChunk : IDisposable
{
    private int _fd;

    private PipeChunk(int fd, long length)
    {
        _fd = fd;
        Length = length;
    }

    /// <summary>The descriptor to give the job as its standard input.</summary>
    public int Fd => _fd;

    /// <summary>How many bytes the job reads, header included.</summary>
    public long Length { get; }

    /// <summary>A chunk holding <paramref name="header"/> then <paramref name="records"/>.</summary>
    public static PipeChunk FromBytes(ReadOnlySpan<byte> header, ReadOnlySpan<byte> records)
    {
        var chunk = new PipeChunk(Create(), header.Length + records.Length);
        try
        {
            chunk.WriteAll(header);
            chunk.WriteAll(records);
            chunk.Rewind();
            return chunk;
        }
        catch
        {
            chunk.Dispose();
            throw;
        }
    }

    /// <summary>A chunk holding <paramref name="header"/> then <paramref name="count"/> bytes of the file <paramref name="fileFd"/> from <paramref name="offset"/>, copied by the kernel.</summary>
    public static PipeChunk FromFile(ReadOnlySpan<byte> header, int fileFd, long offset, long count)
    {
        var chunk = new PipeChunk(Create(), header.Length + count);
        try
        {
            chunk.WriteAll(header);
            while (count > 0)
            {
                var sent = Posix.SendFile(chunk._fd, fileFd, ref offset, (nint)Math.Min(count, 1L << 30));
                if (sent < 0 && Marshal.GetLastPInvokeError() == Posix.EINTR)
                {
                    continue;
                }

                if (sent <= 0)
                {
                    throw new IOException($"Copying the --pipepart file's bytes at offset {offset} into a job's input failed: {new Win32Exception(Marshal.GetLastPInvokeError()).Message}; the file may have shrunk while the run read it.");
                }

                count -= sent;
            }

            chunk.Rewind();
            return chunk;
        }
        catch
        {
            chunk.Dispose();
            throw;
        }
    }

    /// <summary>Puts the read position back at the start, for the job's next attempt (the job shares our file offset).</summary>
    public void Rewind()
    {
        if (Posix.LSeek(_fd, 0, Posix.SEEK_SET) < 0)
        {
            throw new IOException($"Rewinding a job's --pipe input failed: {new Win32Exception(Marshal.GetLastPInvokeError()).Message}.");
        }
    }

    private static int Create()
    {
        var fd = Posix.MemfdCreate("spindle-pipe", Posix.MFD_CLOEXEC);
        if (fd < 0)
        {
            throw new IOException($"Creating a job's --pipe input (memfd_create) failed: {new Win32Exception(Marshal.GetLastPInvokeError()).Message}.");
        }

        return fd;
    }

    private void WriteAll(ReadOnlySpan<byte> bytes)
    {
        fixed (byte* start = bytes)
        {
            var at = 0;
            while (at < bytes.Length)
            {
                var written = Posix.Write(_fd, start + at, bytes.Length - at);
                if (written < 0 && Marshal.GetLastPInvokeError() == Posix.EINTR)
                {
                    continue;
                }

                if (written <= 0)
                {
                    throw new IOException($"Writing {bytes.Length} bytes of a job's --pipe input failed: {new Win32Exception(Marshal.GetLastPInvokeError()).Message}.");
                }

                at += (int)written;
            }
        }
    }

    public void Dispose()
    {
        var fd = Interlocked.Exchange(ref _fd, -1);
        if (fd >= 0)
        {
            _ = Posix.Close(fd);
        }
    }
}
