using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Spindle.Hosting.Tests;

/// <summary>Registration, configuration and validation of hosted executors.</summary>
public sealed class AddSpindleTests
{
    [Fact(Timeout = TestWait.Hard)]
    public async Task AddSpindle_DefaultAndKeyedExecutors_AreSingletonsCreatedOnStart_AndStoppedWithTheHost()
    {
        using var host = SpindleHost.Build(s => s
            .AddSpindle(o => o.Workers = 1)
            .AddExecutor("isolated", o => (o.Technique, o.Workers) = (Technique.Processes, 1)));
        var registry = host.Services.GetRequiredService<SpindleExecutorRegistry>();
        Assert.Empty(registry.Created);

        await host.StartAsync();
        var threads = host.Services.GetRequiredService<Executor>();
        var isolated = host.Services.GetRequiredKeyedService<Executor>("isolated");

        Assert.Equal(2, registry.Created.Count);
        Assert.Same(threads, host.Services.GetRequiredService<Executor>());
        Assert.Equal((Technique.Threads, "default"), (threads.Technique, threads.Name));
        Assert.Equal((Technique.Processes, "isolated"), (isolated.Technique, isolated.Name));
        Assert.Equal(1, registry.Created[1].Workers!.Alive);
        Assert.Equal(49, await threads.Submit(HostingWork.Square, 7));
        var pid = await isolated.Submit(HostingWork.Pid, 0);
        Assert.NotEqual(Environment.ProcessId, pid);

        await host.StopAsync();

        Assert.True(threads.IsShutdown);
        Assert.True(isolated.IsShutdown);
        Assert.False(TestWait.IsRunning(pid), $"worker {pid} is still running after StopAsync");
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task Configuration_WinsOverCode_ForEveryKey()
    {
        using var host = SpindleHost.Build(
            s => s.AddSpindle(o => o.Workers = 1).AddExecutor("isolated", o => (o.Technique, o.Workers, o.WorkerNice) = (Technique.Processes, 1, 5)),
            new()
            {
                ["Spindle:Workers"] = "2",
                ["Spindle:IoConcurrency"] = "16",
                ["Spindle:Executors:isolated:Workers"] = "2",
                ["Spindle:Executors:isolated:Start"] = "Lazy",
                ["Spindle:Executors:isolated:MemoryLimitMegabytes"] = "512",
                ["Spindle:Executors:isolated:MaxTasksPerWorker"] = "1000",
                ["Spindle:Executors:isolated:IdleTimeout"] = "00:01:00",
                ["Spindle:Executors:isolated:StartTimeout"] = "00:00:20",
                ["Spindle:Executors:isolated:CancelGracePeriod"] = "00:00:01",
                ["Spindle:Executors:isolated:LogWorkerOutput"] = "false",
            });
        var monitor = host.Services.GetRequiredService<IOptionsMonitor<SpindleExecutorOptions>>();

        var defaults = monitor.Get(Options.DefaultName);
        var isolated = monitor.Get("isolated");

        Assert.Equal((Technique.Threads, 2, 16), (defaults.Technique, defaults.Workers, defaults.IoConcurrency));
        Assert.Equal(Technique.Processes, isolated.Technique);
        Assert.Equal(2, isolated.Workers);
        Assert.Equal(5, isolated.WorkerNice);
        Assert.Equal(WorkerStart.Lazy, isolated.Start);
        Assert.Equal(512, isolated.MemoryLimitMegabytes);
        Assert.Equal(1000, isolated.MaxTasksPerWorker);
        Assert.Equal(TimeSpan.FromMinutes(1), isolated.IdleTimeout);
        Assert.Equal(TimeSpan.FromSeconds(20), isolated.StartTimeout);
        Assert.Equal(TimeSpan.FromSeconds(1), isolated.CancelGracePeriod);
        Assert.False(isolated.LogWorkerOutput);

        // Lazy: the host starts no worker until work arrives.
        await host.StartAsync();
        var registry = host.Services.GetRequiredService<SpindleExecutorRegistry>();
        Assert.Equal(0, registry.Created[1].Workers!.Alive);
        await host.StopAsync();
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task Configuration_Invalid_HostDoesNotStart_AndOneErrorNamesEveryProblemByItsKey()
    {
        using var host = SpindleHost.Build(
            s => s.AddSpindle().AddExecutor("isolated", o => o.Technique = Technique.Processes),
            new()
            {
                ["Spindle:Workers"] = "0",
                ["Spindle:MemoryLimitMegabytes"] = "100",
                ["Spindle:Executors:isolated:WorkerNice"] = "25",
                ["Spindle:Executors:isolated:StartTimeout"] = "-00:00:01",
            });

        var error = await Assert.ThrowsAnyAsync<Exception>(() => host.StartAsync());

        var message = error is AggregateException all ? string.Join(" ", all.InnerExceptions.Select(e => e.Message)) : error.Message;
        Assert.Contains("Spindle:Workers must be greater than 0 (was 0)", message, StringComparison.Ordinal);
        Assert.Contains("Spindle sets MemoryLimitMegabytes, which only worker processes have, but its Technique is Threads", message, StringComparison.Ordinal);
        Assert.Contains("Spindle:Executors:isolated:WorkerNice must be between 0 and 19 (was 25)", message, StringComparison.Ordinal);
        Assert.Contains("Spindle:Executors:isolated:StartTimeout must be greater than zero (was -00:00:01)", message, StringComparison.Ordinal);
        Assert.Empty(host.Services.GetRequiredService<SpindleExecutorRegistry>().Created);
    }

    [Fact]
    public void AddExecutor_SameNameTwice_IsRefusedWithTheFix()
    {
        var services = new ServiceCollection();
        var builder = services.AddSpindle().AddExecutor("isolated");

        var error = Assert.Throws<InvalidOperationException>(() => builder.AddExecutor("isolated"));

        Assert.Contains("'isolated' is already registered", error.Message, StringComparison.Ordinal);
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task AddSpindle_WithoutAHostOrConfiguration_StillResolves_AndTheContainerShutsItDown()
    {
        var services = new ServiceCollection();
        services.AddSpindle(o => o.Workers = 1);
        Executor executor;
        await using (var provider = services.BuildServiceProvider())
        {
            executor = provider.GetRequiredService<Executor>();
            Assert.Equal(9, await executor.Submit(HostingWork.Square, 3));
        }

        Assert.True(executor.IsShutdown);
    }
}
