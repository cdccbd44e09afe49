namespace Spindle.Bench.Workloads;

/// <summary>Simulated waits: a timer stands in for a remote call. Mirrored in spindle_bench.py.</summary>
public static class WaitWork
{
    /// <summary>Blocks its thread for <paramref name="milliseconds"/>.</summary>
    public static long Sleep(int milliseconds)
    {
        Thread.Sleep(milliseconds);
        return milliseconds;
    }

    /// <summary>Awaits <paramref name="milliseconds"/> without holding a thread.</summary>
    public static async Task<long> DelayAsync(int milliseconds, CancellationToken cancellationToken)
    {
        await Task.Delay(milliseconds, cancellationToken);
        return milliseconds;
    }
}
