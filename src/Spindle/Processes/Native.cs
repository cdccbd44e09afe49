using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Spindle.Processes;

/// <summary>The few libc calls that .NET does not expose: process groups, signals to a group, the parent's pid.</summary>
internal static partial class Native
{
    public const int SIGKILL = 9;
    public const int SIGTERM = 15;

    [LibraryImport("libc", SetLastError = true)]
    private static partial int setpgid(int pid, int pgid);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int kill(int pid, int sig);

    [LibraryImport("libc")]
    private static partial int getppid();

    [LibraryImport("libc", SetLastError = true)]
    private static partial int socket(int domain, int type, int protocol);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int connect(int fd, byte[] address, int length);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int fcntl(int fd, int command, int argument);

    [LibraryImport("libc")]
    private static partial int close(int fd);

    /// <summary>Makes the calling process the leader of a new process group, so its children can be killed with it.</summary>
    public static bool BecomeGroupLeader() => OperatingSystem.IsLinux() || OperatingSystem.IsMacOS() ? setpgid(0, 0) == 0 : false;

    /// <summary>Sends a signal to every process in the group led by <paramref name="leaderPid"/>.</summary>
    public static bool KillGroup(int leaderPid, int signal) => leaderPid > 0 && kill(-leaderPid, signal) == 0;

    /// <summary>Sends a signal to one process.</summary>
    public static bool Kill(int pid, int signal) => pid > 0 && kill(pid, signal) == 0;

    public static int ParentPid() => getppid();

    /// <summary>
    /// Connects a Unix stream socket to <paramref name="path"/> (Linux) and returns two descriptors of it, one to read
    /// and one to write, so that a reader thread and a writer thread each own a plain stream; throws IOException.
    /// </summary>
    public static (SafeFileHandle Read, SafeFileHandle Write) ConnectUnixSocket(string path)
    {
        const int AF_UNIX = 1, SOCK_STREAM = 1, SOCK_CLOEXEC = 0x80000, F_DUPFD_CLOEXEC = 1030;
        var encoded = System.Text.Encoding.UTF8.GetBytes(path);
        if (encoded.Length > 107)
        {
            throw new IOException($"The socket path '{path}' is longer than a Unix socket address holds (107 bytes).");
        }

        // struct sockaddr_un on Linux: a 16-bit family, then the path, NUL-terminated.
        var address = new byte[2 + encoded.Length + 1];
        BitConverter.TryWriteBytes(address.AsSpan(0, 2), (ushort)AF_UNIX);
        encoded.CopyTo(address, 2);
        var fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
        {
            throw new IOException($"A Unix socket could not be created (errno {Marshal.GetLastPInvokeError()}).");
        }

        if (connect(fd, address, address.Length) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            _ = close(fd);
            throw new IOException($"The Unix socket at '{path}' refused the connection (errno {errno}).");
        }

        var second = fcntl(fd, F_DUPFD_CLOEXEC, 0);
        if (second < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            _ = close(fd);
            throw new IOException($"A Unix socket's descriptor could not be duplicated (errno {errno}).");
        }

        return (new SafeFileHandle(fd, ownsHandle: true), new SafeFileHandle(second, ownsHandle: true));
    }

    /// <summary>Reads a process's resident set size from /proc; 0 where /proc is absent or the process is gone.</summary>
    public static long ResidentBytes(int pid)
    {
        try
        {
            var statm = File.ReadAllText(pid == Environment.ProcessId ? "/proc/self/statm" : $"/proc/{pid}/statm");
            var fields = statm.Split(' ', 3);
            return long.Parse(fields[1], System.Globalization.CultureInfo.InvariantCulture) * Environment.SystemPageSize;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return 0;
        }
    }
}
