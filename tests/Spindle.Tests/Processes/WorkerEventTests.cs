using System.Collections.Concurrent;
using System.Globalization;

namespace Spindle.Tests.Processes;

/// <summary>The Events option and WorkerNice, seen from real worker processes.</summary>
public sealed class WorkerEventTests
{
    [Fact(Timeout = TestWait.Hard)]
    public async Task Events_ReportStart_Crash_Recycle_TimeoutKill_AndExit_OfRealWorkers()
    {
        var events = new ConcurrentQueue<WorkerEvent>();
        var executor = Executor.Processes(new ProcessExecutorOptions
        {
            Name = "events",
            MaxWorkers = 1,
            MaxTasksPerWorker = 3,
            Output = static _ => { },
            Events = events.Enqueue,
        });

        var first = await executor.Submit(ProcessWork.Pid, 0);
        await Assert.ThrowsAsync<WorkerCrashedException>(() => executor.Submit(ProcessWork.ExitAfterStderr, 3));
        await Assert.ThrowsAsync<TaskTimeoutException>(() => executor.Submit(ProcessWork.LoopForever, 0, new TaskOptions { Timeout = TimeSpan.FromMilliseconds(300) }));
        var pids = new List<int>();
        for (var i = 0; i < 3; i++)
        {
            pids.Add(await executor.Submit(ProcessWork.Pid, 0));
        }

        await executor.ShutdownAsync();

        // A worker's end is reported by the thread that reads its channel, which may come just after the shutdown.
        await TestWait.UntilAsync(
            () => events.Count(e => e.Kind == WorkerEventKind.Started) == events.Count(e => e.Kind is WorkerEventKind.Crashed or WorkerEventKind.TimedOutKilled or WorkerEventKind.Exited),
            "every started worker has been reported ended");

        var crashed = Assert.Single(events, e => e.Kind == WorkerEventKind.Crashed);
        Assert.Equal(3, crashed.ExitCode);
        Assert.Equal(first, crashed.ProcessId);
        Assert.Equal("events", crashed.Executor);
        Assert.Contains("about to exit: disk quota exceeded", crashed.StderrTail);

        var killed = Assert.Single(events, e => e.Kind == WorkerEventKind.TimedOutKilled);
        Assert.Equal(9, killed.Signal);

        var recycled = Assert.Single(events, e => e.Kind == WorkerEventKind.Recycled);
        Assert.Equal(pids[2], recycled.ProcessId);
        Assert.Contains("MaxTasksPerWorker is 3", recycled.Reason, StringComparison.Ordinal);

        // Every started worker is reported ended exactly once, so that a listener can count the live ones.
        var started = events.Where(e => e.Kind == WorkerEventKind.Started).Select(e => e.WorkerId).Order().ToArray();
        var ended = events.Where(e => e.Kind is WorkerEventKind.Crashed or WorkerEventKind.TimedOutKilled or WorkerEventKind.Exited).Select(e => e.WorkerId).Order().ToArray();
        Assert.Equal(started, ended);
        Assert.Equal(2, events.Count(e => e.Kind == WorkerEventKind.Exited));
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task WorkerNice_WorkersRunAtThatNiceValue_ReadFromProcStat()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        await using var executor = Executor.Processes(new ProcessExecutorOptions { MaxWorkers = 1, WorkerNice = 7, Output = static _ => { } });

        var pid = await executor.Submit(ProcessWork.Pid, 0);

        Assert.Equal(NiceOf(Environment.ProcessId) + 7 > 19 ? 19 : NiceOf(Environment.ProcessId) + 7, NiceOf(pid));
    }

    [Fact]
    public void WorkerNice_OutOfRange_IsRefusedWithTheFix()
    {
        var error = Assert.Throws<SpindleOptionsException>(() => Executor.Processes(new ProcessExecutorOptions { WorkerNice = 20 }));

        Assert.Contains("WorkerNice must be between 0 and 19 (was 20)", error.Message, StringComparison.Ordinal);
    }

    /// <summary>Field 19 of /proc/pid/stat; the name in field 2 is in parentheses and may hold spaces.</summary>
    private static int NiceOf(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return int.Parse(fields[19 - 3], CultureInfo.InvariantCulture);
    }
}
