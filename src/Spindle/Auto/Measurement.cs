namespace Spindle.Auto;

/// <summary>One measured call: wall time, CPU time its code used, time it was runnable but preempted, bytes allocated.</summary>
internal readonly record struct Measurement(long WallNanoseconds, long CpuNanoseconds, long PreemptedNanoseconds, long AllocatedBytes)
{
    /// <summary>CPU time over the time the call could have been computing (wall time less preemption).</summary>
    public double CpuShare => Math.Clamp((double)CpuNanoseconds / Math.Max(1, WallNanoseconds - PreemptedNanoseconds), 0, 1);
}
