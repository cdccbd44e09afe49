using Spindle.Internal;

namespace Spindle.Processes;

/// <summary>A process's resident memory, which drives memory recycling of workers.</summary>
internal static class ResidentMemory
{
    /// <summary>Reads a process's resident set size from /proc; 0 where /proc is absent or the process is gone.</summary>
    public static long Of(int pid)
    {
        try
        {
            var statm = File.ReadAllText(pid == Environment.ProcessId ? "/proc/self/statm" : $"/proc/{pid}/statm");
            var fields = statm.Split(' ', 3);
            // Without CultureInfo: workers read this after every task, and it must not load ICU into them.
            return Digits.Parse(fields[1], 0) * Environment.SystemPageSize;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return 0;
        }
    }
}
