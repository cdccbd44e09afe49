using System.Collections;
using System.ComponentModel;
using System.Runtime.InteropServices;
using System.Text;
using Spindle.Internal;

namespace Spindle.Jobs;

/// <summary>Starts job processes with posix_spawn, each in its own process group, stdin from /dev/null (or a --pipe chunk).</summary>
/// <remarks>
/// Output goes either to two memfds (grouped mode: read after the job exits, like GNU parallel's temp files, so a
/// background grandchild that keeps the descriptor open never delays the job) or to two pipes (line-buffered and
/// ungrouped modes, read live). Every descriptor we create is close-on-exec, so concurrent spawns from other
/// threads never inherit another job's output.
/// </remarks>
internal sealed unsafe class JobSpawner : IDisposable
{
    private static readonly byte[] DevNull = "/dev/null\0"u8.ToArray();

    // The parent's environment, encoded once into native memory that lives as long as the spawner; each job's
    // envp copies these pointers and adds PARALLEL_SEQ, PARALLEL_JOBSLOT and PARALLEL_PID.
    private readonly byte* _environmentBlock;
    private readonly byte** _environment;
    private readonly int _environmentCount;
    private readonly string _parallelPid;
    private readonly byte[] _shell;
    private readonly string _shellName;
    private bool _disposed;

    public JobSpawner(string shell)
    {
        _shell = Utf8Z(shell);
        _shellName = Path.GetFileName(shell);
        _parallelPid = $"PARALLEL_PID={Libc.GetPid()}";
        var entries = new List<string>();
        foreach (DictionaryEntry entry in Environment.GetEnvironmentVariables())
        {
            var key = (string)entry.Key;
            if (key is not ("PARALLEL_SEQ" or "PARALLEL_JOBSLOT" or "PARALLEL_PID"))
            {
                entries.Add($"{key}={entry.Value}");
            }
        }

        _environmentCount = entries.Count;
        _environment = (byte**)NativeMemory.AllocZeroed((nuint)(entries.Count + 1), (nuint)sizeof(byte*));
        _environmentBlock = PackStrings(entries, _environment);
    }

    /// <summary>
    /// Starts <paramref name="launch"/> with <paramref name="stdinFd"/> (a --pipe chunk) as its stdin, or /dev/null for
    /// -1; returns the running job, or throws Win32Exception when exec failed.
    /// </summary>
    public RunningJob Spawn(JobLaunch launch, JobOutputMode mode, long seq, int slot, int stdinFd = -1)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        int outRead = -1, outWrite = -1, errRead = -1, errWrite = -1;
        try
        {
            if (mode == JobOutputMode.Group)
            {
                outRead = outWrite = CheckFd(Libc.MemfdCreate("spindle-out", Libc.MFD_CLOEXEC), "memfd_create");
                errRead = errWrite = CheckFd(Libc.MemfdCreate("spindle-err", Libc.MFD_CLOEXEC), "memfd_create");
            }
            else
            {
                var fds = stackalloc int[2];
                CheckFd(Libc.Pipe2(fds, Libc.O_CLOEXEC), "pipe2");
                (outRead, outWrite) = (fds[0], fds[1]);
                CheckFd(Libc.Pipe2(fds, Libc.O_CLOEXEC), "pipe2");
                (errRead, errWrite) = (fds[0], fds[1]);
            }

            var pid = SpawnCore(launch, outWrite, errWrite, seq, slot, stdinFd);
            if (mode != JobOutputMode.Group)
            {
                // The child holds its own copies now; ours must go so that EOF arrives when the job's tree exits.
                _ = Libc.Close(outWrite);
                _ = Libc.Close(errWrite);
            }

            return new RunningJob(pid, outRead, errRead);
        }
        catch
        {
            CloseQuietly(outRead);
            CloseQuietly(errRead);
            if (mode != JobOutputMode.Group)
            {
                CloseQuietly(outWrite);
                CloseQuietly(errWrite);
            }

            throw;
        }
    }

    /// <summary>
    /// Starts <paramref name="launch"/> on this process's own stdin, stdout and stderr, leaving <paramref name="keepFd"/>
    /// open in it (a --semaphore slot's lock, which the job then holds until its whole tree exits); returns its pid.
    /// </summary>
    public int SpawnOnOwnStreams(JobLaunch launch, int keepFd)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return SpawnCore(launch, 1, 2, 1, 1, 0, keepFd);
    }

    private int SpawnCore(JobLaunch launch, int stdoutFd, int stderrFd, long seq, int slot, int stdinFd, int keepFd = -1)
    {
        var strings = new List<string>(8);
        if (launch.Argv is null)
        {
            strings.AddRange([_shellName, "-c", launch.Command]);
        }
        else
        {
            strings.AddRange(launch.Argv);
        }

        var argc = strings.Count;
        strings.Add($"PARALLEL_SEQ={seq}");
        strings.Add($"PARALLEL_JOBSLOT={slot}");
        strings.Add(_parallelPid);

        var actions = NativeMemory.AllocZeroed(Libc.FileActionsSize);
        var attr = NativeMemory.AllocZeroed(Libc.SpawnAttrSize);
        var mask = NativeMemory.AllocZeroed(Libc.SigSetSize);
        var defaults = NativeMemory.AllocZeroed(Libc.SigSetSize);
        var pointers = (byte**)NativeMemory.AllocZeroed((nuint)strings.Count, (nuint)sizeof(byte*));
        var block = PackStrings(strings, pointers);
        var argvPtrs = (byte**)NativeMemory.AllocZeroed((nuint)(argc + 1), (nuint)sizeof(byte*));
        var envPtrs = (byte**)NativeMemory.AllocZeroed((nuint)(_environmentCount + 4), (nuint)sizeof(byte*));
        try
        {
            for (var i = 0; i < argc; i++)
            {
                argvPtrs[i] = pointers[i];
            }

            for (var i = 0; i < _environmentCount; i++)
            {
                envPtrs[i] = _environment[i];
            }

            for (var i = 0; i < 3; i++)
            {
                envPtrs[_environmentCount + i] = pointers[argc + i];
            }

            Check(Libc.FileActionsInit(actions), "posix_spawn_FileActionsInit");
            if (stdinFd >= 0)
            {
                Check(Libc.FileActionsAddDup2(actions, stdinFd, 0), "posix_spawn_FileActionsAddDup2");
            }
            else
            {
                fixed (byte* devNull = DevNull)
                {
                    Check(Libc.FileActionsAddOpen(actions, 0, devNull, Libc.O_RDONLY, 0), "posix_spawn_FileActionsAddOpen");
                }
            }

            Check(Libc.FileActionsAddDup2(actions, stdoutFd, 1), "posix_spawn_FileActionsAddDup2");
            Check(Libc.FileActionsAddDup2(actions, stderrFd, 2), "posix_spawn_FileActionsAddDup2");
            if (keepFd >= 0)
            {
                // dup2 onto itself clears close-on-exec in the child only (POSIX.1-2024, glibc 2.29, musl 1.1.24).
                Check(Libc.FileActionsAddDup2(actions, keepFd, keepFd), "posix_spawn_FileActionsAddDup2");
            }

            Check(Libc.SpawnAttrInit(attr), "posix_spawn_SpawnAttrInit");
            // Own process group (pgid = pid): one kill(-pgid) reaches the job's whole tree, and the terminal's
            // Ctrl-C reaches only us, so that we decide how jobs end (as GNU parallel does).
            Check(Libc.SpawnAttrSetFlags(attr, Libc.POSIX_SPAWN_SETPGROUP | Libc.POSIX_SPAWN_SETSIGMASK | Libc.POSIX_SPAWN_SETSIGDEF), "posix_spawn_SpawnAttrSetFlags");
            Check(Libc.SpawnAttrSetPGroup(attr, 0), "posix_spawn_SpawnAttrSetPGroup");
            _ = Libc.SigEmptySet(mask);
            Check(Libc.SpawnAttrSetSigMask(attr, mask), "posix_spawn_SpawnAttrSetSigMask");
            // The runtime ignores SIGPIPE (and an ignored signal survives exec); a job must get the default back,
            // or `yes | head` inside a job would never end.
            _ = Libc.SigEmptySet(defaults);
            foreach (var signal in (ReadOnlySpan<int>)[Libc.SIGPIPE, Libc.SIGINT, Libc.SIGQUIT, Libc.SIGTERM, Libc.SIGHUP, Libc.SIGCHLD, Libc.SIGCONT, Libc.SIGTSTP, Libc.SIGTTIN, Libc.SIGTTOU, Libc.SIGUSR1, Libc.SIGUSR2, Libc.SIGALRM, Libc.SIGXFSZ, Libc.SIGWINCH])
            {
                _ = Libc.SigAddSet(defaults, signal);
            }

            Check(Libc.SpawnAttrSetSigDefault(attr, defaults), "posix_spawn_SpawnAttrSetSigDefault");

            int pid;
            int error;
            if (launch.Argv is null)
            {
                fixed (byte* shell = _shell)
                {
                    error = Libc.PosixSpawn(out pid, shell, actions, attr, argvPtrs, envPtrs);
                }
            }
            else
            {
                error = Libc.PosixSpawnP(out pid, argvPtrs[0], actions, attr, argvPtrs, envPtrs);
            }

            if (error != 0)
            {
                throw new Win32Exception(error);
            }

            return pid;
        }
        finally
        {
            _ = Libc.FileActionsDestroy(actions);
            _ = Libc.SpawnAttrDestroy(attr);
            NativeMemory.Free(actions);
            NativeMemory.Free(attr);
            NativeMemory.Free(mask);
            NativeMemory.Free(defaults);
            NativeMemory.Free(pointers);
            NativeMemory.Free(block);
            NativeMemory.Free(argvPtrs);
            NativeMemory.Free(envPtrs);
        }
    }

    // Encodes the strings, NUL-terminated, into one native block and stores a pointer to each in pointers.
    private static byte* PackStrings(List<string> strings, byte** pointers)
    {
        var total = 0;
        foreach (var s in strings)
        {
            total += Encoding.UTF8.GetByteCount(s) + 1;
        }

        var block = (byte*)NativeMemory.Alloc((nuint)Math.Max(total, 1));
        var offset = 0;
        for (var i = 0; i < strings.Count; i++)
        {
            pointers[i] = block + offset;
            var written = Encoding.UTF8.GetBytes(strings[i], new Span<byte>(block + offset, total - offset));
            block[offset + written] = 0;
            offset += written + 1;
        }

        return block;
    }

    private static byte[] Utf8Z(string s)
    {
        var bytes = new byte[Encoding.UTF8.GetByteCount(s) + 1];
        Encoding.UTF8.GetBytes(s, bytes);
        return bytes;
    }

    private static int CheckFd(int result, string call)
    {
        if (result < 0)
        {
            throw new Win32Exception(Marshal.GetLastPInvokeError(), $"{call} failed while starting a job.");
        }

        return result;
    }

    private static void Check(int error, string call)
    {
        if (error != 0)
        {
            throw new Win32Exception(error, $"{call} failed while starting a job.");
        }
    }

    private static void CloseQuietly(int fd)
    {
        if (fd >= 0)
        {
            _ = Libc.Close(fd);
        }
    }

    public void Dispose()
    {
        if (!_disposed)
        {
            _disposed = true;
            NativeMemory.Free(_environmentBlock);
            NativeMemory.Free(_environment);
        }
    }
}
