using System.Runtime.InteropServices;

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

    /// <summary>Makes the calling process the leader of a new process group, so its children can be killed with it.</summary>
    public static bool BecomeGroupLeader() => OperatingSystem.IsLinux() || OperatingSystem.IsMacOS() ? setpgid(0, 0) == 0 : false;

    /// <summary>Sends a signal to every process in the group led by <paramref name="leaderPid"/>.</summary>
    public static bool KillGroup(int leaderPid, int signal) => leaderPid > 0 && kill(-leaderPid, signal) == 0;

    /// <summary>Sends a signal to one process.</summary>
    public static bool Kill(int pid, int signal) => pid > 0 && kill(pid, signal) == 0;

    public static int ParentPid() => getppid();

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
