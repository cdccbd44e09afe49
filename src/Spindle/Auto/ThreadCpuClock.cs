using System.Globalization;
using Spindle.Internal;

namespace Spindle.Auto;

/// <summary>
/// The calling thread's own CPU time, and the time it spent runnable but waiting for a core. The second matters:
/// on a busy machine a computing thread is preempted, and counting that as "waiting" would make CPU-bound work
/// look I/O-bound. Linux's /proc/thread-self/schedstat has both; clock_gettime is the fallback for CPU time.
/// </summary>
internal static class ThreadCpuClock
{
    private static bool s_schedstatWorks = File.Exists("/proc/thread-self/schedstat");

    /// <summary>(CPU nanoseconds, run-queue nanoseconds) of the calling thread so far.</summary>
    public static (long Cpu, long Runnable) Sample()
    {
        if (s_schedstatWorks)
        {
            try
            {
                var fields = File.ReadAllText("/proc/thread-self/schedstat").Split(' ');
                return (long.Parse(fields[0], CultureInfo.InvariantCulture), long.Parse(fields[1], CultureInfo.InvariantCulture));
            }
            catch (Exception e) when (e is IOException or FormatException or IndexOutOfRangeException or UnauthorizedAccessException)
            {
                s_schedstatWorks = false;
            }
        }

        return (Libc.ClockGetTime(Libc.CLOCK_THREAD_CPUTIME_ID, out var spec) == 0 ? (spec.Seconds * 1_000_000_000L) + spec.Nanoseconds : 0, 0);
    }
}
