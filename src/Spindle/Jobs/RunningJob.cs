using System.Buffers;
using System.Runtime.InteropServices;

namespace Spindle.Jobs;

/// <summary>One started job process: its process group, its output descriptors, and how it ends.</summary>
internal sealed class RunningJob
{
    // GNU parallel's default --termseq: TERM, wait up to 200 ms, TERM, 100 ms, TERM, 50 ms, KILL, 25 ms.
    private static readonly (int Signal, int WaitMs)[] TermSequence = [(Posix.SIGTERM, 200), (Posix.SIGTERM, 100), (Posix.SIGTERM, 50), (Posix.SIGKILL, 25)];

    private readonly int _stdout;
    private readonly int _stderr;
    private readonly JobOutputMode _mode;
    private int _terminating;

    public RunningJob(int pid, int stdout, int stderr, JobOutputMode mode)
    {
        Pid = pid;
        _stdout = stdout;
        _stderr = stderr;
        _mode = mode;
    }

    /// <summary>The job's pid, which is also its process group id.</summary>
    public int Pid { get; }

    /// <summary>Whether <see cref="TerminateAsync"/> was called (by a timeout, a halt or cancellation).</summary>
    public bool WasTerminated => Volatile.Read(ref _terminating) != 0;

    /// <summary>Blocks until the job's process exits; returns its raw wait status.</summary>
    public int WaitForExit()
    {
        while (true)
        {
            if (Posix.WaitPid(Pid, out var status, 0) == Pid)
            {
                return status;
            }

            var error = Marshal.GetLastPInvokeError();
            if (error != Posix.EINTR)
            {
                // ECHILD: someone else reaped it (a host app that reaps every child). Its status is lost.
                return 0xff00;
            }
        }
    }

    /// <summary>
    /// Line-buffered and ungrouped modes: reads both pipes until the job's tree closes them, handing each chunk to
    /// <paramref name="onData"/> (false = stdout, true = stderr), then waits for the exit.
    /// </summary>
    public unsafe int PumpAndWait(Action<bool, ReadOnlySpan<byte>> onData)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            var fds = stackalloc Posix.PollFd[2];
            fds[0] = new Posix.PollFd { Fd = _stdout, Events = Posix.POLLIN };
            fds[1] = new Posix.PollFd { Fd = _stderr, Events = Posix.POLLIN };
            var open = 2;
            while (open > 0)
            {
                var ready = Posix.Poll(fds, 2, -1);
                if (ready < 0)
                {
                    if (Marshal.GetLastPInvokeError() == Posix.EINTR)
                    {
                        continue;
                    }

                    break;
                }

                for (var i = 0; i < 2; i++)
                {
                    if (fds[i].Fd < 0 || (fds[i].Revents & (Posix.POLLIN | Posix.POLLHUP | Posix.POLLERR)) == 0)
                    {
                        continue;
                    }

                    nint read;
                    fixed (byte* p = buffer)
                    {
                        read = Posix.Read(fds[i].Fd, p, buffer.Length);
                    }

                    if (read > 0)
                    {
                        onData(i == 1, buffer.AsSpan(0, (int)read));
                    }
                    else if (read == 0 || Marshal.GetLastPInvokeError() != Posix.EINTR)
                    {
                        // Negative fd: poll ignores the entry from now on.
                        fds[i].Fd = -1;
                        open--;
                    }
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        return WaitForExit();
    }

    /// <summary>Grouped mode: the whole captured stdout (false) or stderr (true), read after the job exited.</summary>
    public unsafe byte[] ReadCaptured(bool stderr)
    {
        var fd = stderr ? _stderr : _stdout;
        var chunks = new List<byte[]>();
        var total = 0;
        var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            long offset = 0;
            while (true)
            {
                nint read;
                fixed (byte* p = buffer)
                {
                    read = Posix.PRead(fd, p, buffer.Length, offset);
                }

                if (read < 0 && Marshal.GetLastPInvokeError() == Posix.EINTR)
                {
                    continue;
                }

                if (read <= 0)
                {
                    break;
                }

                chunks.Add(buffer.AsSpan(0, (int)read).ToArray());
                total += (int)read;
                offset += read;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        if (chunks.Count == 1)
        {
            return chunks[0];
        }

        var all = new byte[total];
        var at = 0;
        foreach (var chunk in chunks)
        {
            chunk.CopyTo(all, at);
            at += chunk.Length;
        }

        return all;
    }

    /// <summary>Closes our ends of the job's output descriptors.</summary>
    public void CloseOutput()
    {
        _ = Posix.Close(_stdout);
        _ = Posix.Close(_stderr);
    }

    /// <summary>
    /// Kills the job's whole process group with GNU parallel's termination sequence; returns when the group is
    /// gone or the sequence is spent. Safe to call more than once and from any thread.
    /// </summary>
    public async Task TerminateAsync()
    {
        if (Interlocked.Exchange(ref _terminating, 1) != 0)
        {
            return;
        }

        foreach (var (signal, waitMs) in TermSequence)
        {
            if (!GroupAlive())
            {
                return;
            }

            _ = Posix.Kill(-Pid, signal);
            var waited = 0;
            while (waited < waitMs && GroupAlive())
            {
                await Task.Delay(5).ConfigureAwait(false);
                waited += 5;
            }
        }
    }

    /// <summary>Whether any process of the job's group still exists (a zombie leader counts until reaped).</summary>
    private bool GroupAlive() => Posix.Kill(-Pid, 0) == 0;

    public JobOutputMode Mode => _mode;
}
