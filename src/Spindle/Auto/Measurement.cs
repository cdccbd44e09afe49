using System.Globalization;

namespace Spindle.Auto;

/// <summary>
/// One measured call: wall time, CPU time its code used, time it was runnable but preempted, bytes allocated, and two
/// kinds of time in which its thread was neither computing nor runnable through no doing of its own: the garbage
/// collections' pauses while it ran (the runtime suspended it), and the time the hypervisor took the machine's cores
/// away (steal time, which Linux counts neither as the thread's CPU time nor as its run-queue wait).
/// </summary>
internal readonly record struct Measurement(
    long WallNanoseconds,
    long CpuNanoseconds,
    long PreemptedNanoseconds,
    long AllocatedBytes,
    long GcPauseNanoseconds = 0,
    long StolenNanoseconds = 0)
{
    private const long NanosecondsPerUserTick = 10_000_000; // /proc/stat counts in USER_HZ, 100 a second on Linux
    private static bool s_procStatWorks = File.Exists("/proc/stat");

    /// <summary>
    /// CPU time over the time the call could have been computing: wall time less preemption, less the collections'
    /// pauses and less steal time, so that a computing call suspended by another thread's collection, or running on a
    /// virtual machine whose host is busy, does not look like waiting. Pauses and steal are taken out only up to the
    /// time the call did not compute (a call that was waiting anyway had no time to lose to them).
    /// </summary>
    public double CpuShare
    {
        get
        {
            var couldCompute = Math.Max(0, WallNanoseconds - PreemptedNanoseconds);
            var lost = Math.Clamp(Math.Max(0, GcPauseNanoseconds) + Math.Max(0, StolenNanoseconds), 0, Math.Max(0, couldCompute - CpuNanoseconds));
            return Math.Clamp((double)CpuNanoseconds / Math.Max(1, couldCompute - lost), 0, 1);
        }
    }

    /// <summary>Nanoseconds every garbage collection so far has paused the process for; two readings bracket a call.</summary>
    public static long GcPausedSoFar() => GC.GetTotalPauseDuration().Ticks * 100;

    /// <summary>
    /// Steal time so far of one core, on average: the "steal" column of /proc/stat's first line (all cores, in ticks)
    /// over the number of cores; two readings bracket a call. Zero where /proc/stat is not there or not readable.
    /// </summary>
    public static long StolenSoFar()
    {
        if (!s_procStatWorks)
        {
            return 0;
        }

        try
        {
            Span<byte> head = stackalloc byte[256];
            using var file = File.OpenHandle("/proc/stat");
            var length = RandomAccess.Read(file, head, 0);
            return ParseSteal(head[..length]) * NanosecondsPerUserTick / Environment.ProcessorCount;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            s_procStatWorks = false;
            return 0;
        }
    }

    /// <summary>The eighth number of /proc/stat's "cpu" line: "cpu user nice system idle iowait irq softirq steal ...".</summary>
    internal static long ParseSteal(ReadOnlySpan<byte> procStat)
    {
        var end = procStat.IndexOf((byte)'\n');
        var line = end >= 0 ? procStat[..end] : procStat;
        var text = System.Text.Encoding.ASCII.GetString(line);
        var fields = text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length < 9 || fields[0] != "cpu")
        {
            throw new FormatException($"/proc/stat's first line has no steal column: '{text}'.");
        }

        return long.Parse(fields[8], CultureInfo.InvariantCulture);
    }
}
