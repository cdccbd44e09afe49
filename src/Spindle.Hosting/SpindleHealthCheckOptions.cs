namespace Spindle.Hosting;

/// <summary>The thresholds of the Spindle health check.</summary>
public sealed record SpindleHealthCheckOptions
{
    /// <summary>Worker crashes within <see cref="CrashWindow"/> from which the check reports Degraded.</summary>
    public int MaxCrashesInWindow { get; init; } = 3;

    /// <summary>How far back crashes count.</summary>
    public TimeSpan CrashWindow { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>Queued tasks per worker (or CPU thread) above which the check reports Degraded.</summary>
    public int MaxQueuedPerWorker { get; init; } = 100;
}
