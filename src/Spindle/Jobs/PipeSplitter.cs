using System.Text;
using System.Text.RegularExpressions;
using Spindle.Internal;

namespace Spindle.Jobs;

/// <summary>
/// GNU parallel's --pipe and --pipepart: cuts a stream (or a file) into chunks of whole records, each about
/// <see cref="JobRunOptions.BlockSize"/> bytes or <see cref="JobRunOptions.MaxReplaceArgs"/> records, with the
/// --header prepended to each.
/// </summary>
/// <remarks>
/// A record boundary is where --recend is followed by --recstart (by default, after each newline). A block is cut at
/// the last boundary inside it; when it holds none, at the first boundary after it; the last chunk takes what is left.
/// </remarks>
internal sealed class PipeSplitter
{
    private readonly byte[] _boundary;
    private readonly int _endLength;
    private readonly long _block;
    private readonly int? _records;
    private readonly Regex? _header;

    public PipeSplitter(string? recordStart, string? recordEnd, long block, int? records, string? header)
    {
        // GNU parallel: without either, --recend is a newline; with only --recstart, --recend is empty.
        var end = recordEnd ?? (recordStart is null ? "\n" : "");
        var start = recordStart ?? "";
        _boundary = Encoding.UTF8.GetBytes(end + start);
        _endLength = Encoding.UTF8.GetByteCount(end);
        _block = block;
        _records = records;
        _header = HeaderPattern(header);
    }

    /// <summary>GNU parallel's --header for --pipe: ":" is the first line, N the first N lines, anything else a regular expression matched at the start.</summary>
    public static Regex? HeaderPattern(string? header)
    {
        if (header is null)
        {
            return null;
        }

        var pattern = header == ":" ? "(.*\n)" : header.All(char.IsAsciiDigit) && header.Length > 0 ? string.Concat(Enumerable.Repeat("(.*\n)", int.Parse(header, System.Globalization.CultureInfo.InvariantCulture))) : header;
        // Matched against the bytes read as Latin-1, so that a character index is a byte index.
        return new Regex(@"\A(?:" + pattern + ")", RegexOptions.CultureInvariant);
    }

    /// <summary>Whether this process's stdin is a pipe that <see cref="SpliceStandardInput"/> can cut: block mode, no header, a boundary.</summary>
    public bool CanSpliceStandardInput() => _header is null && _records is null && _boundary.Length > 0 && Libc.Fcntl(0, Libc.F_GETPIPE_SZ, 0) > 0;

    /// <summary>
    /// The chunks of this process's stdin when it is a pipe, moved into each chunk's memfd by splice, so that the
    /// bytes never enter this process: only the last stretch of each block is peeked at (tee, which copies nothing
    /// out of the pipe) to find the last record boundary in it.
    /// </summary>
    /// <remarks>Reading and rewriting every byte cost --pipe two copies more than `cat | wc -l`; this costs one.</remarks>
    public IEnumerable<PipeChunk> SpliceStandardInput()
    {
        const int Window = 1 << 20;
        // Larger pipes mean fewer wake-ups of the writer and of us; refused above pipe-max-size, which costs only speed.
        _ = Libc.Fcntl(0, Libc.F_SETPIPE_SZ, Window);
        var (peekIn, peekOut) = OpenPeekPipe();
        try
        {
            _ = Libc.Fcntl(peekOut, Libc.F_SETPIPE_SZ, Window);
            // No more than either pipe holds: tee copies only what stdin's pipe has, into what the peek pipe can take.
            var peekLength = (int)Math.Min(Math.Min(Libc.Fcntl(0, Libc.F_GETPIPE_SZ, 0), Libc.Fcntl(peekOut, Libc.F_GETPIPE_SZ, 0)), Math.Min(Window, _block));
            var peek = new byte[peekLength];
            var ended = false;
            while (!ended)
            {
                var fd = PipeChunk.CreateMemfd();
                long length = 0;
                try
                {
                    // Most of the block is moved unseen; the rest is peeked at to cut after its last boundary.
                    var moved = Move(fd, _block - peekLength);
                    var previous = -1;
                    length += moved;
                    ended = moved < _block - peekLength;
                    while (!ended)
                    {
                        // Whether the writer is gone is asked before peeking: then the peek sees all that is left.
                        var closed = WriterClosed();
                        var seen = Peek(peekIn, peekOut, peek);
                        if (seen == 0)
                        {
                            ended = true;
                            break;
                        }

                        if (closed && seen < peek.Length)
                        {
                            // All that is left is here and fits in the block: the last chunk takes it whole, as the
                            // read path (and GNU parallel) does.
                            length += Move(fd, seen);
                            ended = true;
                            break;
                        }

                        if (!closed && seen < peek.Length && (seen < peek.Length / 2 || seen != previous))
                        {
                            // More is coming: wait until the window is full (the cut then falls where the read path,
                            // and GNU parallel, put it), or at least half full and no longer growing (a writer whose
                            // pages never fill the pipe to the byte must not stall the run).
                            previous = seen;
                            Thread.Sleep(2);
                            continue;
                        }

                        var last = peek.AsSpan(0, seen).LastIndexOf(_boundary);
                        var cut = last < 0 ? 0 : last + _endLength;
                        if (cut > 0 || (last > 0 && length > 0))
                        {
                            length += Move(fd, cut);
                            break;
                        }

                        // No boundary in what is there: a long record goes on, and all of it belongs to this chunk.
                        length += Move(fd, seen);
                    }
                }
                catch
                {
                    _ = Libc.Close(fd);
                    throw;
                }

                if (length == 0)
                {
                    _ = Libc.Close(fd);
                    yield break;
                }

                yield return PipeChunk.FromMemfd(fd, length);
            }
        }
        finally
        {
            _ = Libc.Close(peekIn);
            _ = Libc.Close(peekOut);
        }
    }

    // Whether stdin's writer has closed its end (POLLHUP), so that what the pipe holds is all there will be.
    private static unsafe bool WriterClosed()
    {
        var poll = new Libc.PollFd { Fd = 0, Events = Libc.POLLIN };
        return Libc.Poll(&poll, 1, 0) > 0 && (poll.Revents & Libc.POLLHUP) != 0;
    }

    private static unsafe (int Read, int Write) OpenPeekPipe()
    {
        var fds = stackalloc int[2];
        if (Libc.Pipe2(fds, Libc.O_CLOEXEC) < 0)
        {
            throw new IOException($"Creating the --pipe peek pipe failed: {new System.ComponentModel.Win32Exception(System.Runtime.InteropServices.Marshal.GetLastPInvokeError()).Message}.");
        }

        return (fds[0], fds[1]);
    }

    // Splices up to count bytes from stdin into the memfd; fewer only at the end of input.
    private static unsafe long Move(int fd, long count)
    {
        long moved = 0;
        while (moved < count)
        {
            var n = Libc.Splice(0, null, fd, null, (nint)Math.Min(count - moved, 1L << 30), Libc.SPLICE_F_MOVE);
            if (n < 0 && System.Runtime.InteropServices.Marshal.GetLastPInvokeError() == Libc.EINTR)
            {
                continue;
            }

            if (n < 0)
            {
                throw new IOException($"Moving standard input into a job's --pipe input failed: {new System.ComponentModel.Win32Exception(System.Runtime.InteropServices.Marshal.GetLastPInvokeError()).Message}.");
            }

            if (n == 0)
            {
                break;
            }

            moved += n;
        }

        return moved;
    }

    // Copies what stdin's pipe holds now (up to the buffer, waiting for some) into peek without consuming it; 0 at the end of input.
    private static unsafe int Peek(int peekIn, int peekOut, byte[] peek)
    {
        nint seen;
        while ((seen = Libc.Tee(0, peekOut, peek.Length, 0)) < 0 && System.Runtime.InteropServices.Marshal.GetLastPInvokeError() == Libc.EINTR)
        {
        }

        if (seen < 0)
        {
            throw new IOException($"Peeking at standard input for --pipe failed: {new System.ComponentModel.Win32Exception(System.Runtime.InteropServices.Marshal.GetLastPInvokeError()).Message}.");
        }

        var read = 0;
        fixed (byte* start = peek)
        {
            while (read < seen)
            {
                var n = Libc.Read(peekIn, start + read, seen - read);
                if (n <= 0 && System.Runtime.InteropServices.Marshal.GetLastPInvokeError() != Libc.EINTR)
                {
                    throw new IOException("Reading the --pipe peek pipe failed.");
                }

                read += (int)Math.Max(n, 0);
            }
        }

        return read;
    }

    /// <summary>The chunks of <paramref name="input"/>, read as jobs ask for them (a block at a time, in constant memory).</summary>
    public IEnumerable<PipeChunk> Split(Stream input)
    {
        var buffer = new Buffer(input, (int)Math.Clamp(_block + 64 * 1024, 64 * 1024, Array.MaxLength / 2));
        byte[] header = [];
        if (_header is not null)
        {
            while (true)
            {
                var match = _header.Match(Encoding.Latin1.GetString(buffer.Data));
                if (match.Success && (match.Length < buffer.Length || buffer.Ended))
                {
                    header = buffer.Data[..match.Length].ToArray();
                    buffer.Consume(match.Length);
                    break;
                }

                if (buffer.Ended)
                {
                    break;
                }

                buffer.Fill();
            }
        }

        while (true)
        {
            var cut = _records is { } n ? CutAfterRecords(buffer, Math.Max(n, 1)) : CutBlock(buffer);
            if (cut == 0)
            {
                yield break;
            }

            yield return PipeChunk.FromBytes(header, buffer.Data[..cut]);
            buffer.Consume(cut);
        }
    }

    /// <summary>The chunk boundaries of the file's bytes from <paramref name="skip"/> to <paramref name="size"/>, for --pipepart; reads only near each cut.</summary>
    public IEnumerable<(long Start, long End)> FileParts(Microsoft.Win32.SafeHandles.SafeFileHandle file, long skip, long size, long block)
    {
        var window = new byte[128 * 1024];
        var start = skip;
        while (start < size)
        {
            var end = Math.Min(start + block, size);
            if (end < size && _boundary.Length > 0)
            {
                end = FirstBoundaryInFile(file, window, Math.Max(end - _boundary.Length + 1, start + 1), size, start);
            }

            yield return (start, end);
            start = end;
        }
    }

    /// <summary>Reads the header at the start of a --pipepart file; returns its bytes (empty without --header).</summary>
    public byte[] FileHeader(Microsoft.Win32.SafeHandles.SafeFileHandle file)
    {
        if (_header is null)
        {
            return [];
        }

        var head = new byte[(int)Math.Min(RandomAccess.GetLength(file), 1 << 20)];
        var read = RandomAccess.Read(file, head, 0);
        var match = _header.Match(Encoding.Latin1.GetString(head, 0, read));
        return match.Success ? head[..match.Length] : [];
    }

    private long FirstBoundaryInFile(Microsoft.Win32.SafeHandles.SafeFileHandle file, byte[] window, long from, long size, long chunkStart)
    {
        while (from < size)
        {
            var read = RandomAccess.Read(file, window, from);
            if (read <= 0)
            {
                break;
            }

            var found = window.AsSpan(0, read).IndexOf(_boundary);
            while (found >= 0 && from + found + _endLength <= chunkStart)
            {
                var next = window.AsSpan(found + 1, read - found - 1).IndexOf(_boundary);
                found = next < 0 ? -1 : found + 1 + next;
            }

            if (found >= 0)
            {
                return from + found + _endLength;
            }

            if (from + read >= size)
            {
                break;
            }

            // The next window overlaps this one by the boundary's length less one, so no boundary falls between them.
            from += Math.Max(read - _boundary.Length + 1, 1);
        }

        return size;
    }

    // How many bytes the next block-sized chunk takes, reading more as needed; 0 at the end of input.
    private int CutBlock(Buffer buffer)
    {
        while (buffer.Length < _block && !buffer.Ended)
        {
            buffer.Fill();
        }

        if (buffer.Length == 0)
        {
            return 0;
        }

        if (buffer.Length <= _block && buffer.Ended)
        {
            return buffer.Length;
        }

        var block = (int)Math.Min(_block, buffer.Length);
        if (_boundary.Length == 0)
        {
            return block;
        }

        // The last boundary that ends within the block; a boundary at offset 0 (--recstart only) starts the first record.
        var searched = buffer.Data[..Math.Min(buffer.Length, block - _endLength + _boundary.Length)];
        var last = searched.LastIndexOf(_boundary);
        if (last >= 0 && last + _endLength > 0)
        {
            return last + _endLength;
        }

        // No boundary in the block: the chunk runs to the first boundary after it (a record longer than a block).
        var from = Math.Max(block - _boundary.Length + 1, 1);
        while (true)
        {
            var next = buffer.Data[from..].IndexOf(_boundary);
            if (next >= 0)
            {
                return from + next + _endLength;
            }

            if (buffer.Ended)
            {
                return buffer.Length;
            }

            from = Math.Max(buffer.Length - _boundary.Length + 1, 1);
            buffer.Fill();
        }
    }

    // How many bytes hold the next `records` records (-N with --pipe), reading more as needed; 0 at the end of input.
    private int CutAfterRecords(Buffer buffer, int records)
    {
        if (buffer.Length == 0 && !buffer.Ended)
        {
            buffer.Fill();
        }

        if (buffer.Length == 0)
        {
            return 0;
        }

        if (_boundary.Length == 0)
        {
            return buffer.Length;
        }

        var from = _endLength == 0 ? 1 : 0;
        var found = 0;
        while (true)
        {
            var next = from < buffer.Length ? buffer.Data[from..].IndexOf(_boundary) : -1;
            if (next >= 0)
            {
                var cut = from + next + _endLength;
                if (++found == records)
                {
                    return cut;
                }

                from = Math.Max(cut, from + next + 1);
                continue;
            }

            if (buffer.Ended)
            {
                return buffer.Length;
            }

            var scanned = Math.Max(buffer.Length - _boundary.Length + 1, from);
            buffer.Fill();
            from = scanned;
        }
    }

    /// <summary>The bytes read but not yet cut off, in one growing array.</summary>
    private sealed class Buffer(Stream input, int capacity)
    {
        private byte[] _bytes = new byte[capacity];
        private int _start;
        private int _end;

        public bool Ended { get; private set; }

        public int Length => _end - _start;

        public ReadOnlySpan<byte> Data => _bytes.AsSpan(_start, _end - _start);

        public void Consume(int count) => _start += count;

        /// <summary>Reads once more (at least one byte, or the end of input), making room first.</summary>
        public void Fill()
        {
            if (_end == _bytes.Length)
            {
                if (_start > 0)
                {
                    // Keep the unconsumed bytes at the front rather than growing.
                    Array.Copy(_bytes, _start, _bytes, 0, _end - _start);
                    (_end, _start) = (_end - _start, 0);
                }
                else
                {
                    Array.Resize(ref _bytes, (int)Math.Min((long)_bytes.Length * 2, Array.MaxLength));
                }
            }

            var read = input.Read(_bytes, _end, _bytes.Length - _end);
            if (read == 0)
            {
                Ended = true;
            }

            _end += read;
        }
    }
}
