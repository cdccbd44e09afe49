using System.ComponentModel;
using System.Runtime.InteropServices;
using Spindle.Internal;

namespace Spindle.Jobs;

/// <summary>
/// One job's standard input under --pipe or --pipepart: for --pipe, a memfd holding the header and the job's records;
/// for --pipepart, a range of the file that a feeder thread splices into a pipe as the job reads it.
/// </summary>
/// <remarks>
/// A memfd for --pipe: the job reads it at its own pace with no writer thread of ours beside each job, and a retried
/// job reads it again from the start. A spliced pipe for --pipepart: the file's pages go from the page cache to the
/// pipe by reference, so its bytes are neither copied through this process nor into a second buffer (filling a memfd
/// by sendfile costs a page allocation and a copy per page, which made --pipepart barely faster than GNU parallel's).
/// </remarks>
internal sealed unsafe class PipeChunk : IDisposable
{
    private int _fd;
    private int _fileFd = -1;
    private readonly byte[] _header = [];
    private readonly long _offset;
    private int _readEnd = -1;

    private PipeChunk(int fd, long length)
    {
        _fd = fd;
        Length = length;
    }

    private PipeChunk(int fileFd, byte[] header, long offset, long count)
    {
        _fd = -1;
        _fileFd = fileFd;
        _header = header;
        _offset = offset;
        Length = header.Length + count;
    }

    /// <summary>How many bytes the job reads, header included.</summary>
    public long Length { get; }

    /// <summary>A chunk holding <paramref name="header"/> then <paramref name="records"/>.</summary>
    public static PipeChunk FromBytes(ReadOnlySpan<byte> header, ReadOnlySpan<byte> records)
    {
        var chunk = new PipeChunk(Create(), header.Length + records.Length);
        try
        {
            WriteAll(chunk._fd, header);
            WriteAll(chunk._fd, records);
            return chunk;
        }
        catch
        {
            chunk.Dispose();
            throw;
        }
    }

    /// <summary>A new, empty memfd for a chunk that <see cref="FromMemfd"/> then wraps.</summary>
    public static int CreateMemfd() => Create();

    /// <summary>A chunk of a memfd filled elsewhere (spliced from stdin), <paramref name="length"/> bytes long.</summary>
    public static PipeChunk FromMemfd(int fd, long length) => new(fd, length);

    /// <summary>A chunk holding <paramref name="header"/> then <paramref name="count"/> bytes of the file <paramref name="fileFd"/> from <paramref name="offset"/> (the chunk keeps its own descriptor).</summary>
    public static PipeChunk FromFile(byte[] header, int fileFd, long offset, long count)
    {
        var own = Libc.FcntlDupCloexec(fileFd, Libc.F_DUPFD_CLOEXEC, 0);
        if (own < 0)
        {
            throw new IOException($"Duplicating the --pipepart file's descriptor failed: {new Win32Exception(Marshal.GetLastPInvokeError()).Message}.");
        }

        return new PipeChunk(own, header, offset, count);
    }

    /// <summary>
    /// The descriptor to give the next attempt of the job as its stdin, positioned at the start: the memfd rewound, or
    /// the read end of a new pipe with a feeder thread behind it. Call <see cref="Spawned"/> once the job has its copy.
    /// </summary>
    public int OpenForJob()
    {
        if (_fileFd < 0)
        {
            // The job shares our file offset (dup2 shares the open file), so a retry starts from the start again.
            if (Libc.LSeek(_fd, 0, Libc.SEEK_SET) < 0)
            {
                throw new IOException($"Rewinding a job's --pipe input failed: {new Win32Exception(Marshal.GetLastPInvokeError()).Message}.");
            }

            return _fd;
        }

        var fds = stackalloc int[2];
        if (Libc.Pipe2(fds, Libc.O_CLOEXEC) < 0)
        {
            throw new IOException($"Creating a job's --pipepart input (pipe2) failed: {new Win32Exception(Marshal.GetLastPInvokeError()).Message}.");
        }

        // A 1 MiB pipe moves a part in a sixteenth of the splices of the default 64 KiB; refused above the system's
        // pipe-max-size, which only costs speed.
        _ = Libc.Fcntl(fds[1], Libc.F_SETPIPE_SZ, 1 << 20);
        var source = Libc.FcntlDupCloexec(_fileFd, Libc.F_DUPFD_CLOEXEC, 0);
        if (source < 0)
        {
            _ = Libc.Close(fds[0]);
            _ = Libc.Close(fds[1]);
            throw new IOException($"Duplicating the --pipepart file's descriptor failed: {new Win32Exception(Marshal.GetLastPInvokeError()).Message}.");
        }

        _readEnd = fds[0];
        var feeder = new Thread(Feed) { IsBackground = true, Name = "spindle pipepart feeder" };
        feeder.Start((source, fds[1], _header, _offset, Length - _header.Length));
        return _readEnd;
    }

    /// <summary>Drops our copy of the pipe's read end once the job holds its own, so that the feeder sees EPIPE when the job stops reading.</summary>
    public void Spawned()
    {
        var readEnd = Interlocked.Exchange(ref _readEnd, -1);
        if (readEnd >= 0)
        {
            _ = Libc.Close(readEnd);
        }
    }

    // The feeder owns both descriptors it is given and closes them when the part is written or the job stops reading.
    private static void Feed(object? state)
    {
        var (source, pipe, header, offset, count) = ((int, int, byte[], long, long))state!;
        try
        {
            WriteAll(pipe, header);
            while (count > 0)
            {
                var moved = Libc.Splice(source, &offset, pipe, null, (nint)Math.Min(count, 1 << 20), Libc.SPLICE_F_MOVE);
                if (moved < 0 && Marshal.GetLastPInvokeError() == Libc.EINTR)
                {
                    continue;
                }

                if (moved <= 0)
                {
                    // EPIPE: the job exited or closed its stdin without reading all of its part, as `head` does.
                    break;
                }

                count -= moved;
            }
        }
        catch (IOException)
        {
            // The job stopped reading before the header was written; nothing else is owed to it.
        }
        finally
        {
            _ = Libc.Close(pipe);
            _ = Libc.Close(source);
        }
    }

    private static int Create()
    {
        var fd = Libc.MemfdCreate("spindle-pipe", Libc.MFD_CLOEXEC);
        if (fd < 0)
        {
            throw new IOException($"Creating a job's --pipe input (memfd_create) failed: {new Win32Exception(Marshal.GetLastPInvokeError()).Message}.");
        }

        return fd;
    }

    private static void WriteAll(int fd, ReadOnlySpan<byte> bytes)
    {
        fixed (byte* start = bytes)
        {
            var at = 0;
            while (at < bytes.Length)
            {
                var written = Libc.Write(fd, start + at, bytes.Length - at);
                if (written < 0 && Marshal.GetLastPInvokeError() == Libc.EINTR)
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
        Spawned();
        foreach (var fd in (ReadOnlySpan<int>)[Interlocked.Exchange(ref _fd, -1), Interlocked.Exchange(ref _fileFd, -1)])
        {
            if (fd >= 0)
            {
                _ = Libc.Close(fd);
            }
        }
    }
}
