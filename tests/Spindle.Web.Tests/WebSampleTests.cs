using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;

namespace Spindle.Web.Tests;

/// <summary>The web sample, served by a real Kestrel on 127.0.0.1; one test at a time, since they count child processes.</summary>
public sealed class WebSampleTests
{
    private const int Hard = 90_000;

    [Fact(Timeout = Hard)]
    public async Task Endpoints_AnswerThroughTheInjectedDefaultAndKeyedExecutors()
    {
        await using var sample = await RunningSample.StartAsync();

        Assert.Equal("ok", await sample.Client.GetStringAsync("/light"));
        Assert.Equal("waited", await sample.Client.GetStringAsync("/wait"));
        Assert.Equal(16, (await sample.Client.GetStringAsync("/heavy")).Length);
        Assert.Equal("parsed 5 characters", await sample.Client.GetStringAsync("/parse?input=hello"));
        Assert.Equal(Technique.Threads, sample.App.Services.GetRequiredService<Executor>().Technique);
        Assert.Equal(Technique.Processes, sample.App.Services.GetRequiredKeyedService<Executor>("isolated").Technique);
        Assert.True(RunningSample.WorkerPids().Length == 2, RunningSample.DescribeChildren());
    }

    [Fact(Timeout = Hard)]
    public async Task Heavy_OnWorkerProcessesByConfiguration_RunsThere()
    {
        await using var sample = await RunningSample.StartAsync(new() { ["Spindle:Technique"] = "Processes", ["Spindle:Workers"] = "1", ["Spindle:WorkerNice"] = "10" });

        Assert.Equal(16, (await sample.Client.GetStringAsync("/heavy")).Length);
        Assert.Equal(Technique.Processes, sample.App.Services.GetRequiredService<Executor>().Technique);
        Assert.True(RunningSample.WorkerPids().Length == 3, RunningSample.DescribeChildren());
    }

    [Fact(Timeout = Hard)]
    public async Task Parse_CrashAndHang_CostOnlyTheirRequests_WhileConcurrentLightRequestsAllSucceed()
    {
        await using var sample = await RunningSample.StartAsync(new() { ["Sample:ParseTimeout"] = "00:00:01" });

        var crash = sample.Client.GetAsync("/parse?input=crash");
        var hang = sample.Client.GetAsync("/parse?input=hang");
        var light = Enumerable.Range(0, 100).Select(_ => sample.Client.GetAsync("/light")).ToArray();
        var lightWhileHanging = new List<HttpStatusCode>();
        while (!hang.IsCompleted)
        {
            lightWhileHanging.Add((await sample.Client.GetAsync("/light")).StatusCode);
        }

        using var crashed = await crash;
        using var hung = await hang;
        Assert.All(await Task.WhenAll(light), r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.NotEmpty(lightWhileHanging);
        Assert.All(lightWhileHanging, s => Assert.Equal(HttpStatusCode.OK, s));

        Assert.Equal(HttpStatusCode.InternalServerError, crashed.StatusCode);
        Assert.Equal("application/problem+json", crashed.Content.Headers.ContentType?.MediaType);
        var crashProblem = JsonDocument.Parse(await crashed.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("The parser crashed.", crashProblem.GetProperty("title").GetString());
        Assert.Contains("SIGABRT", crashProblem.GetProperty("detail").GetString(), StringComparison.Ordinal);

        Assert.Equal(HttpStatusCode.GatewayTimeout, hung.StatusCode);
        var hangProblem = JsonDocument.Parse(await hung.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("The parser took too long.", hangProblem.GetProperty("title").GetString());

        // The isolated executor replaced both workers and serves the next request.
        Assert.Equal("parsed 2 characters", await sample.Client.GetStringAsync("/parse?input=ok"));
    }

    [Fact(Timeout = Hard)]
    public async Task Parse_Leak_IsKilledAtTheMemoryLimit_AndAnswers500()
    {
        await using var sample = await RunningSample.StartAsync(new() { ["Sample:ParseTimeout"] = "00:00:20", ["Spindle:Executors:isolated:MemoryLimitMegabytes"] = "64" });

        using var leaked = await sample.Client.GetAsync("/parse?input=leak");

        Assert.Equal(HttpStatusCode.InternalServerError, leaked.StatusCode);
        Assert.Contains("memory limit", await leaked.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact(Timeout = Hard)]
    public async Task StopAsync_InFlightHeavyRequestFinishes_AndNoWorkerIsLeft()
    {
        var sample = await RunningSample.StartAsync(new()
        {
            ["Spindle:Technique"] = "Processes",
            ["Spindle:Workers"] = "1",
            ["Sample:HeavyIterations"] = "150000000",
        });
        await using (sample)
        {
            Assert.NotEmpty(RunningSample.WorkerPids());
            var executor = sample.App.Services.GetRequiredService<Executor>();
            var heavy = sample.Client.GetAsync("/heavy");
            await WaitUntilAsync(() => executor.Progress.Running == 1, "the heavy request's task is running");

            await sample.App.StopAsync();

            using var response = await heavy;
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.True(executor.IsShutdown);
            Assert.True(RunningSample.WorkerPids().Length == 0, RunningSample.DescribeChildren());

            // The janitors end once they have removed the socket directories.
            await WaitUntilAsync(() => RunningSample.ChildPids().Length == 0, "no child process is left");
        }
    }

    [Fact(Timeout = Hard)]
    public async Task Configuration_Invalid_TheAppDoesNotStart_AndSaysWhatToFix()
    {
        await using var app = RunningSample.Build(new() { ["Spindle:Workers"] = "0", ["Spindle:Executors:isolated:Technique"] = "Auto" });

        var error = await Assert.ThrowsAnyAsync<Exception>(() => app.StartAsync());

        var message = error is AggregateException all ? string.Join(" ", all.InnerExceptions.Select(e => e.Message)) : error.Message;
        Assert.Contains("Spindle:Workers must be greater than 0 (was 0)", message, StringComparison.Ordinal);
        Assert.Contains("Spindle:Executors:isolated:Technique must be Threads or Processes (was Auto)", message, StringComparison.Ordinal);
        Assert.Empty(RunningSample.WorkerPids());
    }

    private static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"Gave up after 20 s waiting until {what}.");
            await Task.Delay(5);
        }
    }
}
