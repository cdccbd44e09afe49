namespace Spindle.Auto;

/// <summary>
/// One measured call: wall time, CPU time its code used, time it was runnable but preempted, bytes allocated, and the
/// garbage collections' pauses while it ran (in which its thread, suspended, was neither computing nor runnable).
/// </summary>
internal readonly record struct Measurement(long WallNanoseconds, long CpuNanoseconds, long PreemptedNanoseconds, long AllocatedBytes, long GcPauseNanoseconds = 0)
{
    /// <summary>
    /// CPU time over the time the call could have been computing: wall time less preemption and less the collections'
    /// pauses, so that a computing call that another thread's garbage collection suspended does not look like waiting.
    /// A pause is taken out only up to the time the call did not compute (a call that was waiting anyway while
    /// another thread collected had no time to lose to it).
    /// </summary>
    public double CpuShare
    {
        get
        {
            var couldCompute = Math.Max(0, WallNanoseconds - PreemptedNanoseconds);
            var paused = Math.Clamp(GcPauseNanoseconds, 0, Math.Max(0, couldCompute - CpuNanoseconds));
            return Math.Clamp((double)CpuNanoseconds / Math.Max(1, couldCompute - paused), 0, 1);
        }
    }

    /// <summary>Nanoseconds every garbage collection so far has paused the process for; two readings bracket a call.</summary>
    public static long GcPausedSoFar() => GC.GetTotalPauseDuration().Ticks * 100;
}
