using System.ComponentModel;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using System.Text;
using Spindle.Internal;

namespace Spindle.Jobs;

/// <summary>
/// GNU parallel's <c>--semaphore</c> (<c>sem</c>): a counting semaphore shared by separate invocations of the tool, so
/// that a shell script's <c>sem -j2 cmd</c> lines run at most two commands at once.
/// </summary>
/// <remarks>
/// A semaphore is a folder, <c>SemaphoreDirectory/id-NAME/</c>, of slot files <c>slot-1</c> .. <c>slot-N</c>; a slot is
/// taken by holding an exclusive flock on its file. The job inherits the locked descriptor, so the slot stays taken as
/// long as any process of the job's tree is alive, even after this process has exited (the default, background
/// mode), and the kernel frees it when the last one exits, however it ends: there are no stale entries to clean up,
/// which GNU parallel's pid files need.
/// </remarks>
[SupportedOSPlatform("linux")]
internal static unsafe class JobSemaphore
{

    /// <summary>The folder of semaphores when none is set: $SPINDLE_HOME/semaphores, else ~/.spindle/semaphores.</summary>
    public static string DefaultDirectory()
    {
        var home = Environment.GetEnvironmentVariable("SPINDLE_HOME") is { Length: > 0 } spindleHome
            ? spindleHome
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".spindle");
        return Path.Combine(home, "semaphores");
    }

    /// <summary>GNU parallel's default name: the controlling terminal of standard input (what `tty` prints), or "not a tty".</summary>
    public static string DefaultName()
    {
        var buffer = stackalloc byte[256];
        return Libc.TtyName(0, buffer, 256) == 0 ? Marshal.PtrToStringUTF8((nint)buffer) ?? "not a tty" : "not a tty";
    }

    /// <summary>The semaphore's folder name, as GNU parallel spells it: id- and the name with other than [-_a-z0-9] in hex.</summary>
    public static string FolderName(string name)
    {
        var folder = new StringBuilder("id-");
        Span<byte> bytes = stackalloc byte[4];
        foreach (var rune in name.EnumerateRunes())
        {
            if (rune.IsAscii && (char.IsAsciiLetterOrDigit((char)rune.Value) || rune.Value is '-' or '_'))
            {
                folder.Append((char)rune.Value);
                continue;
            }

            var length = rune.EncodeToUtf8(bytes);
            folder.Append(Convert.ToHexStringLower(bytes[..length]));
        }

        return folder.ToString();
    }

    /// <summary>Runs the one semaphore job of <paramref name="plan"/>, or waits for the semaphore's jobs to end (--wait).</summary>
    public static JobRunResult Run(ValidatedJobRun plan, CancellationToken token)
    {
        var options = plan.Options;
        var folder = Path.Combine(options.SemaphoreDirectory ?? DefaultDirectory(), FolderName(options.SemaphoreName ?? DefaultName()));
        try
        {
            Directory.CreateDirectory(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SpindleOptionsException("JobRunOptions", [$"The semaphore folder '{folder}' cannot be created ({e.Message.TrimEnd('.')}); set SemaphoreDirectory (or SPINDLE_HOME) to a writable folder."]);
        }

        if (options.SemaphoreWait)
        {
            WaitForAll(folder, token);
            return Result(0, started: 0, failed: 0);
        }

        var fd = Acquire(folder, plan.Slots, options.SemaphoreTimeout, options.StandardError, token);
        if (fd == GaveUp)
        {
            return Result(1, started: 0, failed: 0);
        }

        int pid;
        try
        {
            using var spawner = new JobSpawner(options.Shell);
            var launch = plan.Template().Render([], 1, 1);
            pid = spawner.SpawnOnOwnStreams(launch, fd);
        }
        catch (Win32Exception e)
        {
            Write(options.StandardError, $"spindle: cannot run '{options.Command[0]}': {e.Message}\n");
            return Result(127, started: 1, failed: 1);
        }
        finally
        {
            // The job holds the slot now (its copy of the descriptor); ours goes, so that the slot frees when it ends.
            if (fd >= 0)
            {
                _ = Libc.Close(fd);
            }
        }

        if (!options.SemaphoreForeground)
        {
            // Background, as GNU sem: return once the job runs. A thread reaps it, so that a long-lived library
            // caller keeps no zombie; a CLI exits first, and init reaps it.
            new Thread(() => _ = Libc.WaitPid(pid, out _, 0)) { IsBackground = true, Name = "spindle sem reaper" }.Start();
            return Result(0, started: 1, failed: 0);
        }

        using var registration = token.Register(() => _ = Libc.Kill(-pid, Libc.SIGTERM));
        int status;
        while (Libc.WaitPid(pid, out status, 0) < 0 && Marshal.GetLastPInvokeError() == Libc.EINTR)
        {
        }

        token.ThrowIfCancellationRequested();
        var (exit, signal) = Libc.DecodeWaitStatus(status);
        // GNU parallel's semaphore exit status: the job's, or, as Bash reports it, 128 + the signal that ended it.
        var exitStatus = exit != 0 ? exit : signal != 0 ? signal + 128 : 0;
        return Result(exitStatus, started: 1, failed: exitStatus == 0 ? 0 : 1);
    }

    private const int GaveUp = -2;

    /// <summary>Takes a free slot of <paramref name="count"/>, waiting as long as all are taken; returns its locked descriptor.</summary>
    /// <returns>The descriptor; -1 when the timeout passed and the job runs anyway (GNU's "stealing"); <see cref="GaveUp"/> for a negative timeout.</returns>
    private static int Acquire(string folder, int count, TimeSpan? timeout, Stream? stderr, CancellationToken token)
    {
        var started = Environment.TickCount64;
        // As GNU parallel: retry slower and slower, up to a second, at random points so that waiters do not wake together.
        var sleep = 1.0;
        while (true)
        {
            for (var slot = 1; slot <= count; slot++)
            {
                var fd = TryLock(Path.Combine(folder, "slot-" + slot.ToString(CultureInfo.InvariantCulture)));
                if (fd >= 0)
                {
                    return fd;
                }
            }

            if (timeout is { } limit && Environment.TickCount64 - started > Math.Abs(limit.TotalMilliseconds))
            {
                if (limit > TimeSpan.Zero)
                {
                    Write(stderr, "spindle: Warning: Semaphore timed out. Stealing the semaphore.\n");
                    return -1;
                }

                Write(stderr, "spindle: Warning: Semaphore timed out. Exiting.\n");
                return GaveUp;
            }

            sleep = Math.Min(sleep * 1.1, 1000);
            if (token.WaitHandle.WaitOne(TimeSpan.FromMilliseconds(Random.Shared.NextDouble() * sleep)))
            {
                token.ThrowIfCancellationRequested();
            }
        }
    }

    /// <summary>Waits until every slot of the semaphore is free at least once: every job started before has ended.</summary>
    private static void WaitForAll(string folder, CancellationToken token)
    {
        foreach (var file in Directory.GetFiles(folder, "slot-*"))
        {
            var sleep = 1.0;
            int fd;
            while ((fd = TryLock(file)) < 0)
            {
                sleep = Math.Min(sleep * 1.1, 200);
                if (token.WaitHandle.WaitOne(TimeSpan.FromMilliseconds(sleep)))
                {
                    token.ThrowIfCancellationRequested();
                }
            }

            _ = Libc.Flock(fd, Libc.LOCK_UN);
            _ = Libc.Close(fd);
        }
    }

    // An exclusive lock on the slot file, without waiting: its descriptor, or -1 when another process holds it.
    private static int TryLock(string path)
    {
        var bytes = Encoding.UTF8.GetBytes(path + "\0");
        int fd;
        fixed (byte* p = bytes)
        {
            fd = Libc.Open(p, Libc.O_RDWR | Libc.O_CREAT | Libc.O_CLOEXEC, 0x180);
        }

        if (fd < 0)
        {
            throw new IOException($"Cannot open the semaphore slot '{path}': {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}.");
        }

        if (Libc.Flock(fd, Libc.LOCK_EX | Libc.LOCK_NB) == 0)
        {
            return fd;
        }

        var error = Marshal.GetLastPInvokeError();
        _ = Libc.Close(fd);
        if (error != Libc.EWOULDBLOCK && error != Libc.EINTR)
        {
            throw new IOException($"Cannot lock the semaphore slot '{path}': {Marshal.GetPInvokeErrorMessage(error)}.");
        }

        return -1;
    }

    private static JobRunResult Result(int status, long started, long failed) => new()
    {
        ExitStatus = status,
        Started = started,
        Succeeded = started - failed,
        Failed = failed,
        Skipped = 0,
        Halted = false,
    };

    private static void Write(Stream? stream, string text)
    {
        stream ??= Console.OpenStandardError();
        stream.Write(Encoding.UTF8.GetBytes(text));
        stream.Flush();
    }
}
