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

    /// <summary>Writes a finished job's whole output (stdout, then stderr, as GNU parallel does), in order when keeping order.</summary>
    public void WriteJob(long seq, string tag, byte[] stdout, byte[] stderr)
    {
        var prefix = _tag ? Encoding.UTF8.GetBytes(tag + "\t") : null;
        void Write()
        {
            WriteTagged(_stdout, prefix, stdout);
            WriteTagged(_stderr, prefix, stderr);
            _stdout.Flush();
            _stderr.Flush();
        }

        Publish(seq, Write);
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
    private static void WriteTagged(Stream stream, byte[]? prefix, ReadOnlySpan<byte> data)
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

        while (!data.IsEmpty)
        {
            var newline = data.IndexOf((byte)'\n');
            var line = newline < 0 ? data : data[..(newline + 1)];
            stream.Write(prefix);
            stream.Write(line);
            data = data[line.Length..];
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
