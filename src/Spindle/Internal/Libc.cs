using System.Runtime.InteropServices;

namespace Spindle.Internal;

/// <summary>
/// Every libc call the library makes that .NET does not offer, and the constants they take, bound once: process groups
/// and signals (workers, shell jobs), posix_spawn and the descriptor calls behind <c>spindle run</c>, the worker's
/// socket, mmap and the futex behind shared memory, and a thread's CPU clock.
/// </summary>
/// <remarks>
/// System.Diagnostics.Process cannot put a child in its own process group (needed to kill a job's or a worker's whole
/// tree with one signal), cannot hand a child a file as stdout, and costs several times more per start than
/// posix_spawn. Constants are Linux's (glibc and musl agree on them).
/// </remarks>
internal static unsafe partial class Libc
{
    private const string Name = "libc";

    public const int SIGHUP = 1;
    public const int SIGINT = 2;
    public const int SIGQUIT = 3;
    public const int SIGKILL = 9;
    public const int SIGUSR1 = 10;
    public const int SIGUSR2 = 12;
    public const int SIGPIPE = 13;
    public const int SIGALRM = 14;
    public const int SIGTERM = 15;
    public const int SIGCHLD = 17;
    public const int SIGCONT = 18;
    public const int SIGTSTP = 20;
    public const int SIGTTIN = 21;
    public const int SIGTTOU = 22;
    public const int SIGXFSZ = 25;
    public const int SIGWINCH = 28;

    public const short POSIX_SPAWN_SETPGROUP = 0x02;
    public const short POSIX_SPAWN_SETSIGDEF = 0x04;
    public const short POSIX_SPAWN_SETSIGMASK = 0x08;

    public const int O_RDONLY = 0;
    public const int O_CLOEXEC = 0x80000;
    public const uint MFD_CLOEXEC = 1;

    public const int WNOHANG = 1;
    public const int SEEK_SET = 0;
    public const int F_DUPFD_CLOEXEC = 1030;
    public const int F_SETPIPE_SZ = 1031;
    public const int F_GETPIPE_SZ = 1032;
    public const uint SPLICE_F_MOVE = 1;
    public const int SEEK_END = 2;

    public const int EINTR = 4;
    public const int E2BIG = 7;

    public const short POLLIN = 0x1;
    public const short POLLHUP = 0x10;
    public const short POLLERR = 0x8;

    // Opaque libc structures, allocated larger than any libc needs (glibc: 80, 336 and 128 bytes).
    public const int FileActionsSize = 256;
    public const int SpawnAttrSize = 512;
    public const int SigSetSize = 256;

    [StructLayout(LayoutKind.Sequential)]
    public struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    [LibraryImport(Name, EntryPoint = "posix_spawn", SetLastError = true)]
    public static partial int PosixSpawn(out int pid, byte* path, void* fileActions, void* attr, byte** argv, byte** envp);

    [LibraryImport(Name, EntryPoint = "posix_spawnp", SetLastError = true)]
    public static partial int PosixSpawnP(out int pid, byte* file, void* fileActions, void* attr, byte** argv, byte** envp);

    [LibraryImport(Name, EntryPoint = "posix_spawn_file_actions_init")]
    public static partial int FileActionsInit(void* actions);

    [LibraryImport(Name, EntryPoint = "posix_spawn_file_actions_destroy")]
    public static partial int FileActionsDestroy(void* actions);

    [LibraryImport(Name, EntryPoint = "posix_spawn_file_actions_adddup2")]
    public static partial int FileActionsAddDup2(void* actions, int fd, int newFd);

    [LibraryImport(Name, EntryPoint = "posix_spawn_file_actions_addopen")]
    public static partial int FileActionsAddOpen(void* actions, int fd, byte* path, int flags, int mode);

    [LibraryImport(Name, EntryPoint = "posix_spawnattr_init")]
    public static partial int SpawnAttrInit(void* attr);

    [LibraryImport(Name, EntryPoint = "posix_spawnattr_destroy")]
    public static partial int SpawnAttrDestroy(void* attr);

    [LibraryImport(Name, EntryPoint = "posix_spawnattr_setflags")]
    public static partial int SpawnAttrSetFlags(void* attr, short flags);

    [LibraryImport(Name, EntryPoint = "posix_spawnattr_setpgroup")]
    public static partial int SpawnAttrSetPGroup(void* attr, int pgroup);

    [LibraryImport(Name, EntryPoint = "posix_spawnattr_setsigmask")]
    public static partial int SpawnAttrSetSigMask(void* attr, void* sigset);

    [LibraryImport(Name, EntryPoint = "posix_spawnattr_setsigdefault")]
    public static partial int SpawnAttrSetSigDefault(void* attr, void* sigset);

    [LibraryImport(Name, EntryPoint = "sigemptyset")]
    public static partial int SigEmptySet(void* set);

    [LibraryImport(Name, EntryPoint = "sigaddset")]
    public static partial int SigAddSet(void* set, int signal);

    [LibraryImport(Name, EntryPoint = "waitpid", SetLastError = true)]
    public static partial int WaitPid(int pid, out int status, int options);

    [LibraryImport(Name, EntryPoint = "kill", SetLastError = true)]
    public static partial int Kill(int pid, int signal);

    [LibraryImport(Name, EntryPoint = "memfd_create", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int MemfdCreate(string name, uint flags);

    [LibraryImport(Name, EntryPoint = "pipe2", SetLastError = true)]
    public static partial int Pipe2(int* fds, int flags);

    [LibraryImport(Name, EntryPoint = "poll", SetLastError = true)]
    public static partial int Poll(PollFd* fds, nuint count, int timeout);

    [LibraryImport(Name, EntryPoint = "read", SetLastError = true)]
    public static partial nint Read(int fd, byte* buffer, nint count);

    [LibraryImport(Name, EntryPoint = "pread", SetLastError = true)]
    public static partial nint PRead(int fd, byte* buffer, nint count, long offset);

    [LibraryImport(Name, EntryPoint = "write", SetLastError = true)]
    public static partial nint Write(int fd, byte* buffer, nint count);

    [LibraryImport(Name, EntryPoint = "splice", SetLastError = true)]
    public static partial nint Splice(int fdIn, long* offIn, int fdOut, long* offOut, nint length, uint flags);

    [LibraryImport(Name, EntryPoint = "fcntl", SetLastError = true)]
    public static partial int Fcntl(int fd, int command, int argument);

    [LibraryImport(Name, EntryPoint = "tee", SetLastError = true)]
    public static partial nint Tee(int fdIn, int fdOut, nint length, uint flags);

    [LibraryImport(Name, EntryPoint = "fcntl", SetLastError = true)]
    public static partial int FcntlDupCloexec(int fd, int command, int minimum);

    [LibraryImport(Name, EntryPoint = "lseek", SetLastError = true)]
    public static partial long LSeek(int fd, long offset, int whence);

    [LibraryImport(Name, EntryPoint = "close")]
    public static partial int Close(int fd);

    [LibraryImport(Name, EntryPoint = "getpid")]
    public static partial int GetPid();

    public const int O_RDWR = 2;
    public const int O_CREAT = 0x40;
    public const int LOCK_EX = 2;
    public const int LOCK_NB = 4;
    public const int LOCK_UN = 8;
    public const int EWOULDBLOCK = 11;
    public const int AF_UNIX = 1;
    public const int SOCK_STREAM = 1;
    public const int SOCK_CLOEXEC = 0x80000;
    public const int PROT_READ = 0x1;
    public const int PROT_WRITE = 0x2;
    public const int MAP_SHARED = 0x01;
    public const int ETIMEDOUT = 110;
    public const int CLOCK_THREAD_CPUTIME_ID = 3;

    [StructLayout(LayoutKind.Sequential)]
    public struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [LibraryImport(Name, EntryPoint = "setpgid", SetLastError = true)]
    public static partial int SetPGid(int pid, int pgid);

    [LibraryImport(Name, EntryPoint = "getppid")]
    public static partial int GetPPid();

    [LibraryImport(Name, EntryPoint = "socket", SetLastError = true)]
    public static partial int Socket(int domain, int type, int protocol);

    [LibraryImport(Name, EntryPoint = "connect", SetLastError = true)]
    public static partial int Connect(int fd, byte[] address, int length);

    [LibraryImport(Name, EntryPoint = "mmap", SetLastError = true)]
    public static partial nint MMap(nint address, nuint length, int protection, int flags, int fd, long offset);

    [LibraryImport(Name, EntryPoint = "munmap", SetLastError = true)]
    public static partial int MUnmap(nint address, nuint length);

    // syscall(2) is variadic in C; on x86_64 integer arguments travel in the same registers either way, and glibc's
    // syscall reads them as they are. (On Apple's arm64 variadic arguments go on the stack, but there is no futex there.)
    [LibraryImport(Name, EntryPoint = "syscall", SetLastError = true)]
    public static partial long Syscall(long number, void* address, int operation, int value, void* timeout, void* address2, int value3);

    [LibraryImport(Name, EntryPoint = "clock_gettime")]
    public static partial int ClockGetTime(int clock, out Timespec spec);

    [LibraryImport(Name, EntryPoint = "flock", SetLastError = true)]
    public static partial int Flock(int fd, int operation);

    [LibraryImport(Name, EntryPoint = "open", SetLastError = true)]
    public static partial int Open(byte* path, int flags, int mode);

    [LibraryImport(Name, EntryPoint = "ttyname_r")]
    public static partial int TtyName(int fd, byte* buffer, nuint length);

    /// <summary>Makes the calling process the leader of a new process group, so its children can be killed with it.</summary>
    public static bool BecomeGroupLeader() => OperatingSystem.IsLinux() || OperatingSystem.IsMacOS() ? SetPGid(0, 0) == 0 : false;

    /// <summary>Sends a signal to every process in the group led by <paramref name="leaderPid"/>.</summary>
    public static bool KillGroup(int leaderPid, int signal) => leaderPid > 0 && Kill(-leaderPid, signal) == 0;

    /// <summary>Sends a signal to one process; false if there is no such process (or no pid).</summary>
    public static bool Signal(int pid, int signal) => pid > 0 && Kill(pid, signal) == 0;

    /// <summary>Decodes a waitpid status into GNU parallel's (exit value, signal) pair.</summary>
    public static (int ExitValue, int Signal) DecodeWaitStatus(int status)
    {
        var low = status & 0x7f;
        return low == 0 ? ((status >> 8) & 0xff, 0) : (0, low);
    }
}
