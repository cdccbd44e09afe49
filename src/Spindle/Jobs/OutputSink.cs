using System.Buffers;
using System.Text;

namespace Spindle.Jobs;

/// <summary>
/// Writes jobs' output to the run's two streams so that it never tears: a grouped job's output goes out whole,
/// a line-buffered job's output in whole lines, always under one lock shared by both streams (they are often the
/// same terminal). With keep-order, a finished job waits until every job before it was written.
/// </summary>
internal sealed class OutputSink
{
    private readonly Stream _stdout;
    private readonly Stream _stderr;
    private readonly bool _tag;
    private readonly bool _keepOrder;

    // Guards both streams and the keep-order queue. Held only while copying bytes that are already in memory.
    private readonly Lock _lock = new();
    private readonly Dictionary<long, Action?> _waiting = [];
    private long _nextInOrder = 1;

    public OutputSink(Stream stdout, Stream stderr, bool tag, bool keepOrder)
    {
        _stdout = stdout;
        _stderr = stderr;
        _tag = tag;
        _keepOrder = keepOrder;
    }

    /// <summary>
    /// Writes a finished job's whole output (stdout, then stderr, as GNU parallel does), in order when keeping
    /// order; takes ownership of both outputs and disposes them once written.
    /// </summary>
    public void WriteJob(long seq, string tag, CapturedOutput? stdout, CapturedOutput? stderr)
    {
        var prefix = _tag ? Encoding.UTF8.GetBytes(tag + "\t") : null;
        stdout = stdout?.Take();
        stderr = stderr?.Take();
        if (_keepOrder)
        {
            // This job may wait behind a slow one; only a large output keeps its descriptor meanwhile.
            stdout?.ShrinkIfSmall();
            stderr?.ShrinkIfSmall();
        }

        void Write()
        {
            WriteCaptured(_stdout, prefix, stdout);
            WriteCaptured(_stderr, prefix, stderr);
            _stdout.Flush();
            _stderr.Flush();
            stdout?.Dispose();
            stderr?.Dispose();
        }

        Publish(seq, Write);
    }

    // Copies a captured output chunk by chunk; a line split across two chunks gets one prefix.
    private static void WriteCaptured(Stream stream, byte[]? prefix, CapturedOutput? output)
    {
        var atLineStart = true;
        output?.CopyTo(chunk =>
        {
            WriteTagged(stream, atLineStart ? prefix : null, chunk, prefix);
            atLineStart = chunk.IsEmpty ? atLineStart : chunk[^1] == (byte)'\n';
        });
    }

    /// <summary>Marks a job that writes nothing (skipped by --resume, or killed by a halt) so that later jobs are not held back.</summary>
    public void Skip(long seq) => Publish(seq, null);

    /// <summary>A live writer for one line-buffered or ungrouped job.</summary>
    public LiveJobOutput Live(string tag, bool wholeLines) => new(this, _tag ? Encoding.UTF8.GetBytes(tag + "\t") : null, wholeLines);

    private void Publish(long seq, Action? write)
    {
        lock (_lock)
        {
            if (!_keepOrder)
            {
                write?.Invoke();
                return;
            }

            _waiting[seq] = write;
            while (_waiting.Remove(_nextInOrder, out var next))
            {
                next?.Invoke();
                _nextInOrder++;
            }
        }
    }

    private void WriteLive(bool stderr, byte[]? prefix, ReadOnlySpan<byte> data)
    {
        lock (_lock)
        {
            var stream = stderr ? _stderr : _stdout;
            WriteTagged(stream, prefix, data);
            stream.Flush();
        }
    }

    // Writes data, putting the prefix before each line (a last line without a newline gets one too).
    private static void WriteTagged(Stream stream, byte[]? prefix, ReadOnlySpan<byte> data) => WriteTagged(stream, prefix, data, prefix);

    // As above, but the first line gets firstPrefix: null when it continues a line that an earlier chunk began.
    private static void WriteTagged(Stream stream, byte[]? firstPrefix, ReadOnlySpan<byte> data, byte[]? prefix)
    {
        if (data.IsEmpty)
        {
            return;
        }

        if (prefix is null)
        {
            stream.Write(data);
            return;
        }

        var linePrefix = firstPrefix;
        while (!data.IsEmpty)
        {
            var newline = data.IndexOf((byte)'\n');
            var line = newline < 0 ? data : data[..(newline + 1)];
            if (linePrefix is not null)
            {
                stream.Write(linePrefix);
            }

            stream.Write(line);
            data = data[line.Length..];
            linePrefix = prefix;
        }
    }

    /// <summary>One job's live output: whole lines (line-buffered) or raw chunks (ungrouped).</summary>
    internal sealed class LiveJobOutput
    {
        private readonly OutputSink _sink;
        private readonly byte[]? _prefix;
        private readonly bool _wholeLines;
        private readonly ArrayBufferWriter<byte> _partialOut = new();
        private readonly ArrayBufferWriter<byte> _partialErr = new();

        public LiveJobOutput(OutputSink sink, byte[]? prefix, bool wholeLines)
        {
            _sink = sink;
            _prefix = prefix;
            _wholeLines = wholeLines;
        }

        public long StdoutBytes { get; private set; }

        public void OnData(bool stderr, ReadOnlySpan<byte> data)
        {
            if (!stderr)
            {
                StdoutBytes += data.Length;
            }

            if (!_wholeLines)
            {
                _sink.WriteLive(stderr, _prefix, data);
                return;
            }

            var partial = stderr ? _partialErr : _partialOut;
            var lastNewline = data.LastIndexOf((byte)'\n');
            if (lastNewline < 0)
            {
                partial.Write(data);
                return;
            }

            // Everything up to the last newline is whole lines: the held partial line plus this chunk's head.
            if (partial.WrittenCount > 0)
            {
                partial.Write(data[..(lastNewline + 1)]);
                _sink.WriteLive(stderr, _prefix, partial.WrittenSpan);
                partial.Clear();
            }
            else
            {
                _sink.WriteLive(stderr, _prefix, data[..(lastNewline + 1)]);
            }

            partial.Write(data[(lastNewline + 1)..]);
        }

        /// <summary>Writes what is left of a last line without a newline, once the job ended.</summary>
        public void Finish()
        {
            foreach (var (partial, stderr) in new[] { (_partialOut, false), (_partialErr, true) })
            {
                if (partial.WrittenCount > 0)
                {
                    _sink.WriteLive(stderr, _prefix, partial.WrittenSpan);
                    partial.Clear();
                }
            }
        }
    }
}
