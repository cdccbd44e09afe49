using Microsoft.Extensions.Diagnostics.HealthChecks;
using Spindle.Hosting;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds the Spindle health check.</summary>
public static class SpindleHealthChecksBuilderExtensions
{
    /// <summary>
    /// Checks the executors registered with AddSpindle: worker processes alive against configured, recent crashes,
    /// queue length. Unhealthy reports <paramref name="failureStatus"/> (Unhealthy by default).
    /// </summary>
    public static IHealthChecksBuilder AddSpindleHealthCheck(
        this IHealthChecksBuilder builder,
        SpindleHealthCheckOptions? options = null,
        string name = "spindle",
        HealthStatus? failureStatus = null,
        IEnumerable<string>? tags = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var thresholds = options ?? new SpindleHealthCheckOptions();
        if (thresholds.MaxCrashesInWindow <= 0 || thresholds.CrashWindow <= TimeSpan.Zero || thresholds.MaxQueuedPerWorker <= 0)
        {
            throw new ArgumentException(
                $"SpindleHealthCheckOptions must have MaxCrashesInWindow, CrashWindow and MaxQueuedPerWorker greater than zero (were {thresholds.MaxCrashesInWindow}, {thresholds.CrashWindow} and {thresholds.MaxQueuedPerWorker}).",
                nameof(options));
        }

        return builder.Add(new HealthCheckRegistration(
            name,
            sp => new SpindleHealthCheck(sp.GetRequiredService<SpindleExecutorRegistry>(), thresholds),
            failureStatus,
            tags));
    }
}
