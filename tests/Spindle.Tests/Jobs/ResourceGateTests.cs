using Spindle.Jobs;

namespace Spindle.Tests.Jobs;

/// <summary>--memfree, --load and --noswap: a job starts only while the machine allows it (readings replaced by the test).</summary>
public sealed class ResourceGateTests
{
    [Fact(Timeout = TestWait.Hard)]
    public async Task MemFree_NoJobStartsUntilEnoughMemoryIsAvailable()
    {
        using var run = new JobTestRun();
        var readings = 0;
        var waited = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var enough = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var marker = run.PathOf("ran");
        var options = JobTestRun.Options($"touch {marker} # {{}}", "x") with
        {
            MemFree = 1L << 30,
            MachineProbe = () =>
            {
                if (Interlocked.Increment(ref readings) >= 3)
                {
                    waited.TrySetResult();
                }

                return new MachineState(enough.Task.IsCompleted ? 2L << 30 : 1L << 20, 1, 0);
            },
        };
        var running = run.RunAsync(options);
        await waited.Task;
        // Three readings of too little memory have gone by: the job has not started.
        Assert.False(File.Exists(marker));
        enough.SetResult();
        var result = await running;
        Assert.Equal((0, 1L), (result.ExitStatus, result.Started));
        Assert.True(File.Exists(marker));
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task LoadAndNoSwap_WaitWhileBusyOrSwapping_ThenRun()
    {
        using var run = new JobTestRun();
        var reading = 0;
        // Readings: busy (9 running), then swapping (pages moved since the first reading), then quiet.
        MachineState Probe() => Interlocked.Increment(ref reading) switch
        {
            1 => new MachineState(long.MaxValue, 9, 100),
            _ => new MachineState(long.MaxValue, 1, 150),
        };
        var result = await run.RunAsync(JobTestRun.Options("echo {}", "x") with { Load = "2", NoSwap = true, MachineProbe = Probe });
        Assert.Equal(("x\n", 0), (run.Stdout, result.ExitStatus));
        Assert.True(reading >= 3, $"{reading} readings; the job had to wait for the third");
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task MemFree_Cancelled_WhileWaiting_StartsNoJob()
    {
        using var run = new JobTestRun();
        using var cancel = new CancellationTokenSource();
        var marker = run.PathOf("ran");
        var options = JobTestRun.Options($"touch {marker} # {{}}", "x") with { MemFree = 1L << 30, MachineProbe = () => { cancel.Cancel(); return new MachineState(0, 1, 0); } };
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run.RunAsync(options, cancel.Token));
        Assert.False(File.Exists(marker));
    }

    [Fact]
    public void Validate_BadLimits_Named()
    {
        var e = Assert.Throws<SpindleOptionsException>(() => JobRunner.Run(new JobRunOptions { Command = ["true"], MemFree = -1, Load = "lots" }));
        Assert.Contains(e.Problems, p => p.StartsWith("MemFree must be", StringComparison.Ordinal));
        Assert.Contains(e.Problems, p => p.StartsWith("Load must be", StringComparison.Ordinal) && p.Contains("'lots'", StringComparison.Ordinal));
    }

    [Fact]
    public void MachineState_ReadsThisMachine()
    {
        var state = MachineState.Read();
        Assert.True(state.MemAvailable > 0 && state.Runnable >= 1 && state.PagesSwapped >= 0, state.ToString());
    }
}
