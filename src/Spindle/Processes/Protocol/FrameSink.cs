namespace Spindle.Processes.Protocol;

/// <summary>
/// The sending half of a channel: producers append whole frames under a lock, and one writer thread sends
/// everything appended so far in one write. While the writer is inside a write, new frames pile up and
/// go out together: batching that costs no latency when the channel is quiet.
/// </summary>
internal sealed class FrameSink
{
    private readonly object _lock = new();
    private readonly Stream _stream;
    private readonly Thread _writer;
    private readonly Action<Exception> _onError;
    private FrameBuffer _filling = new();
    private FrameBuffer _sending = new();
    private bool _closed;

    public FrameSink(Stream stream, string name, Action<Exception> onError)
    {
        _stream = stream;
        _onError = onError;
        _writer = new Thread(WriteLoop) { IsBackground = true, Name = name };
        _writer.Start();
    }

    /// <summary>Enters the lock and returns the buffer to append frames to; call <see cref="EndAppend"/> after.</summary>
    public FrameBuffer BeginAppend()
    {
        Monitor.Enter(_lock);
        return _filling;
    }

    public void EndAppend()
    {
        Monitor.Pulse(_lock);
        Monitor.Exit(_lock);
    }

    /// <summary>Sends what is queued, then stops the writer thread.</summary>
    public void Close()
    {
        lock (_lock)
        {
            _closed = true;
            Monitor.Pulse(_lock);
        }

        if (Thread.CurrentThread != _writer && _writer.Join(TimeSpan.FromSeconds(5)))
        {
            // A closed sink may stay referenced for a while (a lost worker's handle, by a pending start timer):
            // its two buffers should not.
            lock (_lock)
            {
                _filling = new FrameBuffer(0);
                _sending = new FrameBuffer(0);
            }
        }
    }

    private void WriteLoop()
    {
        try
        {
            while (true)
            {
                lock (_lock)
                {
                    while (_filling.Length == 0 && !_closed)
                    {
                        Monitor.Wait(_lock);
                    }

                    if (_filling.Length == 0)
                    {
                        return;
                    }

                    (_filling, _sending) = (_sending, _filling);
                }

                _stream.Write(_sending.Written);
                _stream.Flush();
                _sending.Clear();
                _sending.ShrinkIfLarge();
            }
        }
#pragma warning disable CA1031 // A broken channel is reported to the owner, which decides the worker's fate.
        catch (Exception e)
#pragma warning restore CA1031
        {
            _onError(e);
        }
    }
}
