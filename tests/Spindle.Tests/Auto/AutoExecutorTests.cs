using Spindle.Tests.Contract;

namespace Spindle.Tests.Auto;

public sealed class AutoExecutorContractTests : ExecutorContract
{
    protected override Executor Create(int workers) => Executor.Auto(new AutoExecutorOptions
    {
        CpuThreads = workers,
        MinIoConcurrency = workers,
        MaxIoConcurrency = workers,
        Processes = new ProcessExecutorOptions { MaxWorkers = workers, Start = WorkerStart.Lazy, Output = static _ => { } },
    });

    protected override void AssertWorkFailure<TExpected>(Exception failure, string message)
    {
        // Undeclared work runs in this process while it is measured: its exception arrives unchanged.
        var typed = Assert.IsType<TExpected>(failure);
        Assert.Contains(message, typed.Message, StringComparison.Ordinal);
    }
}

/// <summary>Auto's promises: declared kinds win, measured kinds route, changes re-route, and it explains itself.</summary>
/// <remarks>
/// Run apart from the parallel tests: their garbage collections suspend a measured thread, and a suspended thread is
/// neither on a core nor in the run queue, so computing looked like waiting (CPU share 40 % for a busy loop, seen in CI).
/// </remarks>
[Collection(nameof(Threads.StarvationSensitive))]
public sealed class AutoExecutorTests
{
    private static AutoExecutor Create(AutoExecutorOptions? options = null) => Executor.Auto((options ?? new AutoExecutorOptions()) with
    {
        CpuThreads = 2,
        Processes = new ProcessExecutorOptions { MaxWorkers = 1, Start = WorkerStart.Lazy, Output = static _ => { } },
    });

    private static FunctionReport ReportOf(AutoExecutor executor, string method) =>
        Assert.Single(executor.Report(), r => r.Function.EndsWith("." + method, StringComparison.Ordinal));

    [Fact(Timeout = TestWait.Hard)]
    public async Task AwaitHeavyFunction_GoesToTheIoLane()
    {
        await using var executor = Create();
        for (var i = 0; i < 4; i++)
        {
            await executor.Submit(AutoWork.AwaitHeavy, 30);
        }

        var report = ReportOf(executor, nameof(AutoWork.AwaitHeavy));
        Assert.Equal(Lane.Io, report.Lane);
        Assert.True(report.CpuShare < 0.5, $"CPU share {report.CpuShare}");
        Assert.Contains("mostly waiting", report.Reason, StringComparison.Ordinal);
        Assert.Equal(4, report.Calls);
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task BusyLoop_GoesToTheCpuLane()
    {
        await using var executor = Create();
        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => executor.Submit(AutoWork.BusyLoop, 30)));

        var report = ReportOf(executor, nameof(AutoWork.BusyLoop));
        Assert.Equal(Lane.Cpu, report.Lane);
        Assert.True(report.CpuShare >= 0.5, $"CPU share {report.CpuShare}");
        Assert.Contains("mostly computing", report.Reason, StringComparison.Ordinal);
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task DeclaredKind_OverridesMeasurement()
    {
        await using var executor = Create();
        await executor.Submit(AutoWork.DeclaredIoButBusy, 20);
        await executor.Submit(AutoWork.BusyLoop, 20, new TaskOptions { Kind = WorkKind.IoBound });

        var declared = ReportOf(executor, nameof(AutoWork.DeclaredIoButBusy));
        Assert.Equal(Lane.Io, declared.Lane);
        Assert.Contains("[WorkKind] attribute", declared.Reason, StringComparison.Ordinal);
        Assert.Equal(0, declared.Measured);

        var perCall = ReportOf(executor, nameof(AutoWork.BusyLoop));
        Assert.Equal(Lane.Io, perCall.Lane);
        Assert.Contains("TaskOptions.Kind", perCall.Reason, StringComparison.Ordinal);
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task FunctionThatChangesBehaviour_IsRerouted()
    {
        await using var executor = Create(new AutoExecutorOptions { SampleEvery = 1 });
        for (var i = 0; i < 3; i++)
        {
            await executor.Submit(AutoWork.Changeling, i);
        }

        var busy = ReportOf(executor, nameof(AutoWork.Changeling));
        Assert.True(busy.Lane == Lane.Cpu, $"expected the CPU lane: {busy}");

        for (var i = 0; i < 12; i++)
        {
            await executor.Submit(AutoWork.Changeling, 1000 + i);
        }

        var report = ReportOf(executor, nameof(AutoWork.Changeling));
        Assert.Equal(Lane.Io, report.Lane);
        Assert.True(report.Reroutes >= 1);
        Assert.Contains("re-routed", report.Reason, StringComparison.Ordinal);
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task IsolatedWork_RunsInAnotherProcess()
    {
        await using var executor = Create();
        var pid = await executor.Submit(AutoWork.IsolatedPid, 0);

        Assert.NotEqual(Environment.ProcessId, pid);
        var report = ReportOf(executor, nameof(AutoWork.IsolatedPid));
        Assert.Equal(Lane.Process, report.Lane);
        Assert.Contains("worker process", report.Reason, StringComparison.Ordinal);
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task AllocationHeavyWork_GoesToProcesses_WhenConfiguredSo()
    {
        await using var executor = Create(new AutoExecutorOptions { AllocationHeavyToProcesses = true, AllocationHeavyBytesPerCpuSecond = 1e8 });
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(Environment.ProcessId, await executor.Submit(AutoWork.AllocationHeavy, 20));
        }

        var report = ReportOf(executor, nameof(AutoWork.AllocationHeavy));
        Assert.Equal(Lane.Process, report.Lane);
        Assert.Contains("separate GC heaps", report.Reason, StringComparison.Ordinal);
        Assert.NotEqual(Environment.ProcessId, await executor.Submit(AutoWork.AllocationHeavy, 5));
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task AllocationHeavyWork_StaysOnTheCpuLane_ByDefault()
    {
        await using var executor = Create(new AutoExecutorOptions { AllocationHeavyBytesPerCpuSecond = 1e8 });
        await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => executor.Submit(AutoWork.AllocationHeavy, 20)));

        var report = ReportOf(executor, nameof(AutoWork.AllocationHeavy));
        Assert.Equal(Lane.Cpu, report.Lane);
        Assert.True(report.AllocationRate >= 1e8, $"allocation rate {report.AllocationRate}");
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task IoLaneConcurrency_GrowsWhileThroughputGrows()
    {
        await using var executor = Create(new AutoExecutorOptions { MinIoConcurrency = 4, MaxIoConcurrency = 512 });
        await Task.WhenAll(Enumerable.Range(0, 3000).Select(_ => executor.Submit(AutoWork.AwaitHeavy, 20)));

        Assert.True(executor.IoConcurrency > 4, $"the I/O lane stayed at {executor.IoConcurrency}");
        Assert.InRange(executor.IoConcurrency, 5, 512);
    }

    [Fact]
    public void Options_AllProblemsReportedTogether()
    {
        var error = Assert.Throws<SpindleOptionsException>(() => Executor.Auto(new AutoExecutorOptions { MinIoConcurrency = 0, MaxIoConcurrency = -1, ProfileCalls = 0 }));
        Assert.Equal(3, error.Problems.Count);
    }
}
