using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Spindle.Hosting;

/// <summary>
/// Reports each hosted executor: Unhealthy when it is shut down or has no live worker process while it should;
/// Degraded when fewer workers are alive than configured, workers crash often, or the queue is long.
/// </summary>
internal sealed class SpindleHealthCheck(SpindleExecutorRegistry registry, SpindleHealthCheckOptions options) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var data = new Dictionary<string, object>();
        List<string> unhealthy = [];
        List<string> degraded = [];
        foreach (var hosted in registry.Created)
        {
            var name = hosted.Executor.Name;
            var progress = hosted.Executor.Progress;
            data[$"{name}.technique"] = hosted.Executor.Technique.ToString();
            data[$"{name}.queued"] = progress.Queued;
            data[$"{name}.running"] = progress.Running;
            data[$"{name}.failed"] = progress.Failed;
            if (hosted.Executor.IsShutdown)
            {
                unhealthy.Add($"{name} is shut down");
                continue;
            }

            var capacity = hosted.Options.Workers ?? Environment.ProcessorCount;
            if (progress.Queued > (long)options.MaxQueuedPerWorker * capacity)
            {
                degraded.Add($"{name} has {progress.Queued} tasks queued (more than {options.MaxQueuedPerWorker} per worker)");
            }

            if (hosted.Workers is not { } workers)
            {
                continue;
            }

            var crashes = workers.CrashesWithin(options.CrashWindow);
            data[$"{name}.workers.configured"] = workers.Configured;
            data[$"{name}.workers.alive"] = workers.Alive;
            data[$"{name}.workers.crashed"] = workers.Crashed;
            data[$"{name}.workers.timed_out"] = workers.TimedOut;
            data[$"{name}.workers.recycled"] = workers.Recycled;
            data[$"{name}.workers.crashes_in_window"] = crashes;

            // A lazy executor has no workers until work arrives: only its queue tells whether it is stuck.
            var shouldRun = hosted.Options.Start == WorkerStart.Eager || progress.Queued > 0;
            if (workers.Alive == 0 && shouldRun)
            {
                unhealthy.Add($"{name} has no live worker process of {workers.Configured}");
            }
            else if (hosted.Options.Start == WorkerStart.Eager && workers.Alive < workers.Configured)
            {
                degraded.Add($"{name} has {workers.Alive} of {workers.Configured} worker processes alive");
            }

            if (crashes >= options.MaxCrashesInWindow)
            {
                degraded.Add($"{name} had {crashes} worker crashes in the last {options.CrashWindow.TotalSeconds:0} s");
            }
        }

        var result = unhealthy.Count > 0
            ? new HealthCheckResult(context.Registration.FailureStatus, string.Join("; ", unhealthy.Concat(degraded)) + ".", data: data)
            : degraded.Count > 0
                ? HealthCheckResult.Degraded(string.Join("; ", degraded) + ".", data: data)
                : HealthCheckResult.Healthy($"{registry.Created.Count} Spindle executors are serving.", data);
        return Task.FromResult(result);
    }
}
