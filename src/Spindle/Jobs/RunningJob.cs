using System.Buffers;
using System.Runtime.InteropServices;
using Spindle.Internal;

namespace Spindle.Jobs;

/// <summary>One started job process: its process group, its output descriptors, and how it ends.</summary>
internal sealed class RunningJob
{
    // GNU parallel's default --termseq: TERM, wait up to 200 ms, TERM, 100 ms, TERM, 50 ms, KILL, 25 ms.
    private static readonly (int Signal, int WaitMs)[] TermSequence = [(Libc.SIGTERM, 200), (Libc.SIGTERM, 100), (Libc.SIGTERM, 50), (Libc.SIGKILL, 25)];

    private int _stdout;
    private int _stderr;
    private int _terminating;

    public RunningJob(int pid, int stdout, int stderr)
    {
        Pid = pid;
        _stdout = stdout;
        _stderr = stderr;
    }

    /// <summary>The job's pid, which is also its process group id.</summary>
    public int Pid { get; }

    /// <summary>Whether <see cref="TerminateAsync"/> was called (by a timeout, a halt or cancellation).</summary>
    public bool WasTerminated => Volatile.Read(ref _terminating) != 0;

    /// <summary>
    /// Blocks until the job's process exits, then ends whatever it left running in its process group; returns its
    /// raw wait status.
    /// </summary>
    public int WaitForExit()
    {
        var status = Reap(block: true) ?? 0xff00;
        EndLeftovers();
        return status;
    }

    // waitpid on the job's leader: its raw status, or null when it still runs (non-blocking) or someone else
    // reaped it (a host app that reaps every child; then 0xff00, exit value 255, for a blocking wait).
    private int? Reap(bool block)
    {
        while (true)
        {
            var reaped = Libc.WaitPid(Pid, out var status, block ? 0 : Libc.WNOHANG);
            if (reaped == Pid)
            {
                return status;
            }

            if (reaped == 0)
            {
                return null;
            }

            if (Marshal.GetLastPInvokeError() != Libc.EINTR)
            {
                return 0xff00;
            }
        }
    }

    /// <summary>
    /// Ends the processes a finished job left behind in its process group (<c>sleep 60 &amp;</c>) with the
    /// termination sequence, so that no job outlives its run and no grandchild holds a pipe open.
    /// </summary>
    /// <remarks>
    /// GNU parallel leaves them running. A run whose jobs leak processes leaks them by the thousand, so spindle
    /// treats a job as its whole process group; a job that means to start a daemon detaches it (setsid).
    /// </remarks>
    private void EndLeftovers()
    {
        if (GroupAlive())
        {
            // Blocks this slot thread for at most the sequence's 375 ms; the next job waits for it as for any job.
            RunTermSequenceAsync().GetAwaiter().GetResult();
        }
    }

    /// <summary>
    /// Line-buffered and ungrouped modes: reads both pipes, handing each chunk to <paramref name="onData"/>
    /// (false = stdout, true = stderr), until the job's leader has exited and the pipes are drained.
    /// </summary>
    /// <remarks>
    /// A grandchild left running would hold the pipes open for ever, so EOF cannot mark the end: the leader is
    /// polled every 50 ms, and once it exited its leftovers are ended and only what is already buffered is read
    /// (for at most a second).
    /// </remarks>
    public unsafe int PumpAndWait(Action<bool, ReadOnlySpan<byte>> onData)
    {
        const int LeaderCheckMs = 50;
        const int DrainMs = 1000;
        var nextCheck = Environment.TickCount64 + LeaderCheckMs;
        var drainUntil = long.MaxValue;
        var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        int? status = null;
        try
        {
            var fds = stackalloc Libc.PollFd[2];
            fds[0] = new Libc.PollFd { Fd = _stdout, Events = Libc.POLLIN };
            fds[1] = new Libc.PollFd { Fd = _stderr, Events = Libc.POLLIN };
            var open = 2;
            while (open > 0)
            {
                var ready = Libc.Poll(fds, 2, status is null ? LeaderCheckMs : 0);
                if (ready < 0)
                {
                    if (Marshal.GetLastPInvokeError() == Libc.EINTR)
                    {
                        continue;
                    }

                    break;
                }

                if (ready == 0 && status is not null)
                {
                    // The leader is gone, its group ended, and nothing more is buffered: a process that escaped
                    // the group (setsid) may hold the pipes, but its output is no longer this job's.
                    break;
                }

                var now = Environment.TickCount64;
                if (status is null && (ready == 0 || now >= nextCheck))
                {
                    nextCheck = now + LeaderCheckMs;
                    if (Reap(block: false) is { } exited)
                    {
                        status = exited;
                        EndLeftovers();
                        drainUntil = Environment.TickCount64 + DrainMs;
                    }
                }
                else if (status is not null && now >= drainUntil)
                {
                    // An escaped process that never stops writing must not keep the job running.
                    break;
                }

                if (ready == 0)
                {
                    continue;
                }

                for (var i = 0; i < 2; i++)
                {
                    if (fds[i].Fd < 0 || (fds[i].Revents & (Libc.POLLIN | Libc.POLLHUP | Libc.POLLERR)) == 0)
                    {
                        continue;
                    }

                    nint read;
                    fixed (byte* p = buffer)
                    {
                        read = Libc.Read(fds[i].Fd, p, buffer.Length);
                    }

                    if (read > 0)
                    {
                        onData(i == 1, buffer.AsSpan(0, (int)read));
                    }
                    else if (read == 0 || Marshal.GetLastPInvokeError() != Libc.EINTR)
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

        if (status is { } known)
        {
            return known;
        }

        return WaitForExit();
    }

    /// <summary>Grouped mode: hands over the memfds holding the job's stdout and stderr; call after the job exited.</summary>
    public (CapturedOutput Stdout, CapturedOutput Stderr) TakeCaptured()
    {
        var taken = (CapturedOutput.FromDescriptor(_stdout), CapturedOutput.FromDescriptor(_stderr));
        _stdout = _stderr = -1;
        return taken;
    }

    /// <summary>Closes our ends of the job's output descriptors that were not handed over.</summary>
    public void CloseOutput()
    {
        if (_stdout >= 0)
        {
            _ = Libc.Close(_stdout);
        }

        if (_stderr >= 0)
        {
            _ = Libc.Close(_stderr);
        }

        _stdout = _stderr = -1;
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

        await RunTermSequenceAsync().ConfigureAwait(false);
    }

    private async Task RunTermSequenceAsync()
    {
        foreach (var (signal, waitMs) in TermSequence)
        {
            if (!GroupAlive())
            {
                return;
            }

            _ = Libc.Kill(-Pid, signal);
            var waited = 0;
            while (waited < waitMs && GroupAlive())
            {
                await Task.Delay(5).ConfigureAwait(false);
                waited += 5;
            }
        }
    }

    /// <summary>Whether any process of the job's group still exists (a zombie leader counts until reaped).</summary>
    private bool GroupAlive() => Libc.Kill(-Pid, 0) == 0;

}
