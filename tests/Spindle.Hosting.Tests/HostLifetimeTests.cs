using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;

namespace Spindle.Hosting.Tests;

/// <summary>Executors live and die with the host; their workers' lives go to ILogger and the health check.</summary>
public sealed class HostLifetimeTests
{
    [Fact(Timeout = TestWait.Hard)]
    public async Task StopAsync_InFlightThreadTaskFinishes_BeforeTheHostStops()
    {
        using var host = SpindleHost.Build(s => s.AddSpindle(o => o.Workers = 1));
        await host.StartAsync();
        var executor = host.Services.GetRequiredService<Executor>();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var task = executor.Submit(async (int x) =>
        {
            started.SetResult();
            await release.Task;
            return x + 1;
        }, 41);
        await started.Task;

        var stopping = host.StopAsync();
        await Task.Yield();
        Assert.False(stopping.IsCompleted, "the host stopped while a task was still running");
        await Assert.ThrowsAsync<InvalidOperationException>(() => executor.Submit(HostingWork.Square, 1));
        release.SetResult();
        await stopping;

        Assert.Equal(42, await task);
        Assert.True(executor.IsShutdown);
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task StopAsync_InFlightProcessTaskFinishes_ThenNoWorkerIsLeft()
    {
        using var host = SpindleHost.Build(s => s.AddSpindle(o => (o.Technique, o.Workers) = (Technique.Processes, 2)));
        await host.StartAsync();
        var executor = host.Services.GetRequiredService<Executor>();
        var pids = await Task.WhenAll(executor.Submit(HostingWork.Pid, 0), executor.Submit(HostingWork.Pid, 0));
        var running = executor.Submit(HostingWork.Busy, 300);
        await TestWait.UntilAsync(() => executor.Progress.Running == 1, "the task is running");

        await host.StopAsync();

        Assert.Contains(await running, pids);
        Assert.All(pids, pid => Assert.False(TestWait.IsRunning(pid), $"worker {pid} is still running after StopAsync"));
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task StopAsync_ShutdownTimeoutFires_RunawayTaskIsCancelled_AndItsWorkerKilled()
    {
        var logs = new LogCollector();
        using var host = SpindleHost.Build(s => s.AddSpindle(o => (o.Technique, o.Workers) = (Technique.Processes, 1)), logs: logs);
        await host.StartAsync();
        var executor = host.Services.GetRequiredService<Executor>();
        var pid = await executor.Submit(HostingWork.Pid, 0);
        var runaway = executor.Submit(HostingWork.LoopForever, 0);
        await TestWait.UntilAsync(() => executor.Progress.Running == 1, "the runaway task is running");

        using var shutdownTimeout = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        await host.StopAsync(shutdownTimeout.Token);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => runaway);
        Assert.False(TestWait.IsRunning(pid), $"worker {pid} is still running after StopAsync");
        Assert.Contains(logs.Entries, e => e.EventId == 102 && (string?)e.Fields["Executor"] == "default");
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task Logging_WorkerLifecycleAndOutput_GoToILogger_WithWorkerIdAndPid()
    {
        var logs = new LogCollector();
        using var host = SpindleHost.Build(
            s => s.AddSpindle(o => (o.Technique, o.Workers, o.MaxTasksPerWorker) = (Technique.Processes, 1, 3)),
            logs: logs);
        await host.StartAsync();
        var executor = host.Services.GetRequiredService<Executor>();

        var pid = await executor.Submit(HostingWork.Pid, 0);
        await executor.Submit(HostingWork.Say, "hello from a worker");
        await Assert.ThrowsAsync<WorkerCrashedException>(() => executor.Submit(HostingWork.Exit, 3));
        await host.StopAsync();

        var started = Assert.Single(logs.Entries, e => e.EventId == 200 && (int?)e.Fields["Pid"] == pid);
        Assert.Equal(LogLevel.Information, started.Level);
        Assert.Equal("Spindle", started.Category);
        var output = Assert.Single(logs.Entries, e => e.EventId == 210);
        Assert.Equal(("hello from a worker", pid, "default"), ((string?)output.Fields["Line"], (int?)output.Fields["Pid"], (string?)output.Fields["Executor"]));
        var crashed = Assert.Single(logs.Entries, e => e.EventId == 201);
        Assert.Equal(LogLevel.Error, crashed.Level);
        Assert.Equal((pid, 3), ((int?)crashed.Fields["Pid"], (int?)crashed.Fields["ExitCode"]));
        Assert.Contains("about to exit with 3", (string?)crashed.Fields["StderrTail"], StringComparison.Ordinal);
        Assert.Contains(logs.Entries, e => e.EventId == 100 && (string?)e.Fields["Executor"] == "default");
        Assert.Contains(logs.Entries, e => e.EventId == 101);
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task HealthCheck_Healthy_ThenDegradedByCrashes_ThenUnhealthyAfterStop()
    {
        using var host = SpindleHost.Build(s =>
        {
            s.AddSpindle(o => o.Workers = 1).AddExecutor("isolated", o => (o.Technique, o.Workers) = (Technique.Processes, 2));
            s.AddHealthChecks().AddSpindleHealthCheck(new SpindleHealthCheckOptions { MaxCrashesInWindow = 1 });
        });
        await host.StartAsync();
        var health = host.Services.GetRequiredService<HealthCheckService>();
        var isolated = host.Services.GetRequiredKeyedService<Executor>("isolated");

        var first = await health.CheckHealthAsync();
        Assert.Equal(HealthStatus.Healthy, first.Status);
        var data = first.Entries["spindle"].Data;
        Assert.Equal((2, 2), ((int)data["isolated.workers.configured"], (int)data["isolated.workers.alive"]));
        Assert.Equal(0L, (long)data["default.queued"]);

        await Assert.ThrowsAsync<WorkerCrashedException>(() => isolated.Submit(HostingWork.Exit, 1));
        var registry = host.Services.GetRequiredService<SpindleExecutorRegistry>();
        await TestWait.UntilAsync(() => registry.Created[1].Workers!.Alive == 2, "the crashed worker is replaced");
        var afterCrash = await health.CheckHealthAsync();
        Assert.Equal(HealthStatus.Degraded, afterCrash.Status);
        Assert.Contains("isolated had 1 worker crashes", afterCrash.Entries["spindle"].Description, StringComparison.Ordinal);

        await host.StopAsync();
        var stopped = await health.CheckHealthAsync();
        Assert.Equal(HealthStatus.Unhealthy, stopped.Status);
        Assert.Contains("isolated is shut down", stopped.Entries["spindle"].Description, StringComparison.Ordinal);
    }
}
