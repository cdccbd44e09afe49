using System.Diagnostics;
using System.Net.Sockets;
using Spindle.Internal;
using Spindle.Processes;
using Spindle.Processes.Protocol;

namespace Spindle.Tests.Processes;

/// <summary>What only the process executor promises: isolation, crash recovery, hard limits, a private channel.</summary>
public sealed class ProcessExecutorTests
{
    private static Executor Create(int workers = 1, ProcessExecutorOptions? options = null) =>
        Executor.Processes((options ?? new ProcessExecutorOptions()) with { MaxWorkers = workers, Output = static _ => { } });

    [Fact(Timeout = TestWait.Hard)]
    public async Task Submit_RunsInAnotherProcess_WithTheWorkerVariablesScrubbed()
    {
        await using var executor = Create(2);
        var pid = await executor.Submit(ProcessWork.Pid, 0);
        var asyncPid = await executor.Submit(ProcessWork.PidAsync, 0);

        Assert.NotEqual(Environment.ProcessId, pid);
        Assert.NotEqual(Environment.ProcessId, asyncPid);
        Assert.Null(await executor.Submit(ProcessWork.Env, "SPINDLE_WORKER_SOCKET"));
        Assert.True(string.IsNullOrEmpty(await executor.Submit(ProcessWork.Env, "DOTNET_STARTUP_HOOKS")));
    }

    [Theory(Timeout = TestWait.Hard)]
    [InlineData("fail-fast")]
    [InlineData("stack-overflow")]
    [InlineData("segfault")]
    [InlineData("exit")]
    public async Task Submit_WorkerCrashes_OnlyThatTaskFails_AndTheNext100Succeed(string crash)
    {
        await using var executor = Create(2);
        var crashing = crash switch
        {
            "fail-fast" => executor.Submit(ProcessWork.FailFast, 0),
            "stack-overflow" => executor.Submit(ProcessWork.StackOverflow, 0),
            "segfault" => executor.Submit(ProcessWork.Segfault, 0),
            _ => executor.Submit(ProcessWork.ExitAfterStderr, 3),
        };
        var bystanders = Enumerable.Range(0, 20).Select(i => executor.Submit(ContractWorkAlias.Square, i)).ToArray();

        var error = await Assert.ThrowsAsync<WorkerCrashedException>(() => crashing);
        Assert.True(error.ExitCode is not null || error.Signal is not null, error.Message);
        Assert.NotEqual(0, error.ProcessId);
        if (crash == "exit")
        {
            Assert.Equal(3, error.ExitCode);
            Assert.Contains("about to exit: disk quota exceeded", error.LastStderrLines);
        }

        Assert.Equal(Enumerable.Range(0, 20).Select(i => i * i), await Task.WhenAll(bystanders));
        var next = await Task.WhenAll(Enumerable.Range(0, 100).Select(i => executor.Submit(ContractWorkAlias.Square, i)));
        Assert.Equal(Enumerable.Range(0, 100).Select(i => i * i), next);
        Assert.Equal(1, executor.Progress.Failed);
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task Submit_WorkerKilledFromOutside_OnlyItsTaskFails()
    {
        await using var executor = Create(1);
        using var stop = new CancellationTokenSource();
        var running = executor.Submit(ContractWorkAlias.WaitForToken, 600_000, stop.Token);
        await TestWait.UntilAsync(() => executor.Progress.Running == 1, "the task runs");
        var pid = Assert.Single(((ProcessExecutor)executor).Diagnostics.WorkerPids);

        Process.GetProcessById(pid).Kill();

        var error = await Assert.ThrowsAsync<WorkerCrashedException>(() => running);
        Assert.Equal(9, error.Signal);
        Assert.Equal(pid, error.ProcessId);
        var next = await Task.WhenAll(Enumerable.Range(0, 100).Select(i => executor.Submit(ContractWorkAlias.Square, i)));
        Assert.Equal(99 * 99, next[^1]);
        Assert.DoesNotContain(pid, ((ProcessExecutor)executor).Diagnostics.WorkerPids);
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task Submit_MemoryFarAboveTheLimit_KillsOnlyThatTask()
    {
        await using var executor = Create(1, new ProcessExecutorOptions { MemoryLimitBytes = 150L * 1024 * 1024 });
        var hog = executor.Submit(ProcessWork.HoldMemory, 600);

        var error = await Assert.ThrowsAsync<WorkerCrashedException>(() => hog);
        Assert.Contains("memory limit", error.Message, StringComparison.Ordinal);
        var next = await Task.WhenAll(Enumerable.Range(0, 100).Select(i => executor.Submit(ContractWorkAlias.Square, i)));
        Assert.Equal(100, next.Length);
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task Submit_TaskLeavesMemoryAboveTheLimit_WorkerIsRecycledAfterIt()
    {
        await using var executor = Create(1, new ProcessExecutorOptions { MemoryLimitBytes = 120L * 1024 * 1024 });
        var before = await executor.Submit(ProcessWork.Pid, 0);
        Assert.Equal(150, await executor.Submit(ProcessWork.Leak, 150));

        // The leaky task itself succeeded; its worker was replaced once it had answered.
        await TestWait.UntilAsync(() => !ProcessProbe.IsAlive(before), "the leaky worker exits");
        Assert.NotEqual(before, await executor.Submit(ProcessWork.Pid, 0));
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task Submit_EndlessLoopWithTimeout_IsKilledAndThePoolKeepsServing()
    {
        await using var executor = Create(1);
        var looping = executor.Submit(ProcessWork.LoopForever, 0, new TaskOptions { Timeout = TimeSpan.FromMilliseconds(500) });

        var error = await Assert.ThrowsAsync<TaskTimeoutException>(() => looping);
        Assert.Equal(TimeSpan.FromMilliseconds(500), error.Timeout);
        Assert.Equal(16, await executor.Submit(ContractWorkAlias.Square, 4));
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task Submit_RunningTaskIgnoresCancellation_IsKilledAfterTheGracePeriod()
    {
        await using var executor = Create(1, new ProcessExecutorOptions { CancelGracePeriod = TimeSpan.FromMilliseconds(300) });
        using var cts = new CancellationTokenSource();
        var stubborn = executor.Submit(ProcessWork.IgnoreCancellation, 600_000, cts.Token);
        await TestWait.UntilAsync(() => executor.Progress.Running == 1, "the task runs");

        await cts.CancelAsync();
        var error = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => stubborn);
        Assert.Equal(cts.Token, error.CancellationToken);
        Assert.Equal(25, await executor.Submit(ContractWorkAlias.Square, 5));
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task Submit_CrashWithRetries_RunsAgainOnANewWorker()
    {
        await using var executor = Create(1);
        var marker = Path.Combine(Path.GetTempPath(), $"spindle-crash-once-{Guid.NewGuid():N}");
        try
        {
            var result = await executor.Submit(ProcessWork.CrashOnce, marker, new TaskOptions { Retries = 1 });
            Assert.Equal("second time lucky", result);
            Assert.True(File.Exists(marker));
            Assert.Equal(0, executor.Progress.Failed);
        }
        finally
        {
            File.Delete(marker);
        }
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task Submit_CrashWithoutRetries_Fails()
    {
        await using var executor = Create(1);
        var marker = Path.Combine(Path.GetTempPath(), $"spindle-crash-once-{Guid.NewGuid():N}");
        try
        {
            var error = await Assert.ThrowsAsync<WorkerCrashedException>(() => executor.Submit(ProcessWork.CrashOnce, marker));
            Assert.Equal(42, error.ExitCode);
        }
        finally
        {
            File.Delete(marker);
        }
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task Submit_CapturingLambda_IsRefusedNamingTheCapturedVariable()
    {
        await using var executor = Create(1);
        var path = "/tmp/data.csv";
        var error = Assert.Throws<ArgumentException>(() => { _ = executor.Submit((int x) => path.Length + x, 1); });

        Assert.Contains("The lambda passed to Submit captures 'path';", error.Message, StringComparison.Ordinal);
        Assert.Contains("pass it as the argument", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, executor.Progress.Queued);
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task Submit_StaticLambda_RunsInTheWorker()
    {
        await using var executor = Create(1);
        Assert.Equal(42, await executor.Submit(static (int x) => x * 2, 21));
        Assert.Equal("HELLO", await executor.Submit(static async (string s, CancellationToken t) =>
        {
            await Task.Yield();
            return s.ToUpperInvariant();
        }, "hello"));
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task Submit_UnserializableArgument_FailsAtSubmitNamingItsType()
    {
        await using var executor = Create(1);
        var error = Assert.Throws<ArgumentException>(() => { _ = executor.Submit(static (Stream s) => 1, Stream.Null); });
        Assert.Contains("'Stream'", error.Message, StringComparison.Ordinal);
        Assert.Contains("cannot be serialized", error.Message, StringComparison.Ordinal);
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task Submit_UserRecordsListsAndDictionaries_RoundTrip()
    {
        await using var executor = Create(1);
        var order = new Order(7, [new OrderLine("a", 2, 1.5m), new OrderLine("b", 1, 10m)], 0);
        Assert.Equal(13m, (await executor.Submit(ProcessWork.Total, order)).Total);

        var counts = await executor.Submit(ProcessWork.CountWords, new List<string> { "a", "b", "a" });
        Assert.Equal(2, counts["a"]);
        Assert.Equal(1, counts["b"]);
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task Submit_64MegabyteArgument_RoundTrips()
    {
        await using var executor = Create(1);
        var data = new byte[64 * 1024 * 1024];
        new Random(7).NextBytes(data);

        var reversed = await executor.Submit(ProcessWork.Reverse, data);

        Assert.Equal(data.Length, reversed.Length);
        Assert.Equal(data[0], reversed[^1]);
        Assert.Equal(data[^1], reversed[0]);
        Assert.Equal(data[12345], reversed[^12346]);
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task Map_ManySmallItems_AreBatchedAndAllCorrect()
    {
        await using var executor = Create(2);
        long sum = 0;
        var count = 0;
        await foreach (var r in executor.Map(ContractWorkAlias.Square, Enumerable.Range(0, 200_000)))
        {
            Assert.Equal(unchecked(count * count), r);
            sum += r;
            count++;
        }

        Assert.Equal(200_000, count);
        Assert.Equal(200_000, executor.Progress.Completed);

        var unordered = new HashSet<int>();
        await foreach (var (input, result) in executor.MapUnordered(ContractWorkAlias.Square, Enumerable.Range(0, 50_000)))
        {
            Assert.Equal(input * input, result);
            Assert.True(unordered.Add(input));
        }

        Assert.Equal(50_000, unordered.Count);
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task Output_WorkerStdoutAndStderr_AreCapturedAndForwardedWithTheWorkerId()
    {
        var lines = new List<WorkerOutputLine>();
        var seen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var executor = Executor.Processes(new ProcessExecutorOptions
        {
            MaxWorkers = 1,
            Output = line =>
            {
                lock (lines)
                {
                    lines.Add(line);
                    if (lines.Count(l => l.Line.Contains("marmalade", StringComparison.Ordinal)) == 2)
                    {
                        seen.TrySetResult();
                    }
                }
            },
        });

        Assert.Equal(9, await executor.Submit(ProcessWork.WriteOutput, "marmalade"));
        await seen.Task.WaitAsync(TestWait.Generous);
        lock (lines)
        {
            Assert.Contains(lines, l => !l.IsError && l.Line == "out: marmalade" && l.WorkerId > 0);
            Assert.Contains(lines, l => l.IsError && l.Line == "err: marmalade");
        }
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task MaxTasksPerWorker_RecyclesTheWorker()
    {
        await using var executor = Create(1, new ProcessExecutorOptions { MaxTasksPerWorker = 3 });
        var pids = new List<int>();
        for (var i = 0; i < 7; i++)
        {
            pids.Add(await executor.Submit(ProcessWork.Pid, i));
        }

        Assert.Equal(3, pids.Distinct().Count());
        Assert.Equal(pids[0], pids[2]);
        Assert.NotEqual(pids[2], pids[3]);
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task Initializer_RunsInEachWorkerBeforeItsFirstTask()
    {
        await using var executor = Create(2, new ProcessExecutorOptions { Initializer = ProcessWork.Initialize });
        var values = await Task.WhenAll(Enumerable.Range(0, 10).Select(i => executor.Submit(ProcessWork.InitializedValue, i)));
        Assert.All(values, v => Assert.Equal(4242, v));
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task LazyStart_StartsNoWorkerUntilWorkArrives()
    {
        await using var executor = Create(2, new ProcessExecutorOptions { Start = WorkerStart.Lazy });
        Assert.Empty(((ProcessExecutor)executor).Diagnostics.WorkerPids);
        Assert.Equal(9, await executor.Submit(ContractWorkAlias.Square, 3));
        Assert.NotEmpty(((ProcessExecutor)executor).Diagnostics.WorkerPids);
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task IdleTimeout_IdleWorkersExit_AndComeBackForNewWork()
    {
        await using var executor = Create(1, new ProcessExecutorOptions { IdleTimeout = TimeSpan.FromMilliseconds(300), Start = WorkerStart.Lazy });
        var first = await executor.Submit(ProcessWork.Pid, 0);
        await TestWait.UntilAsync(() => !ProcessProbe.IsAlive(first), "the idle worker exits");
        var second = await executor.Submit(ProcessWork.Pid, 0);
        Assert.NotEqual(first, second);
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task TaskChildProcess_DiesWithItsWorker()
    {
        await using var executor = Create(1);
        var child = await executor.Submit(ProcessWork.StartChild, 0);
        Assert.True(ProcessProbe.IsAlive(child));

        var crash = executor.Submit(ProcessWork.ExitAfterStderr, 1);
        await Assert.ThrowsAsync<WorkerCrashedException>(() => crash);
        await TestWait.UntilAsync(() => !ProcessProbe.IsAlive(child), "the task's child process dies");
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task Shutdown_RemovesTheSocketDirectory_WhichWasPrivate()
    {
        var executor = (ProcessExecutor)Create(1);
        var directory = executor.Diagnostics.SocketDirectory;
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(directory));
        Assert.Equal(1, await executor.Submit(ContractWorkAlias.Square, 1));
        var pid = Assert.Single(executor.Diagnostics.WorkerPids);

        await executor.ShutdownAsync();

        Assert.False(Directory.Exists(directory));
        Assert.False(ProcessProbe.IsAlive(pid));
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task Connection_WithoutTheToken_IsRefused_AndTheExecutorKeepsServing()
    {
        await using var executor = (ProcessExecutor)Create(1);
        Assert.Equal(4, await executor.Submit(ContractWorkAlias.Square, 2));

        using var intruder = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await intruder.ConnectAsync(new UnixDomainSocketEndPoint(executor.Diagnostics.SocketPath));
        await intruder.SendAsync(new HelloMessage(new byte[32], 1, Environment.ProcessId, null).ToFrame());

        // The parent closes the connection: a read returns end of stream.
        var buffer = new byte[16];
        var read = await intruder.ReceiveAsync(buffer).WaitAsync(TestWait.Generous);
        Assert.Equal(0, read);
        await TestWait.UntilAsync(() => executor.Diagnostics.RejectedConnections == 1, "the intruder is counted as rejected");
        Assert.Equal(9, await executor.Submit(ContractWorkAlias.Square, 3));
    }

    [Theory(Timeout = TestWait.Hard)]
    [InlineData("garbage")]
    [InlineData("truncated")]
    [InlineData("oversized")]
    [InlineData("wrong-task")]
    public async Task MalformedFrameFromAWorker_FailsThatWorkersTask_NotTheParent(string mode)
    {
        await using var executor = Executor.Processes(new ProcessExecutorOptions
        {
            MaxWorkers = 1,
            Output = static _ => { },
            MaxFrameBytes = 1024 * 1024,
            Command = new WorkerCommand(ProcessProbe.DummyPath, ["fake-worker", mode])
            {
                Environment = new Dictionary<string, string> { ["DOTNET_STARTUP_HOOKS"] = "" },
            },
        });

        var error = await Assert.ThrowsAsync<WorkerCrashedException>(() => executor.Submit(ContractWorkAlias.Square, 3));
        Assert.Contains("protocol", error.Message, StringComparison.Ordinal);
        Assert.Equal(1, executor.Progress.Failed);
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task WorkersCannotStart_TheErrorSaysWhatToAdd()
    {
        await using var executor = Executor.Processes(new ProcessExecutorOptions
        {
            MaxWorkers = 1,
            Output = static _ => { },
            Command = new WorkerCommand(ProcessProbe.DummyPath, ["exit", "5"])
            {
                Environment = new Dictionary<string, string> { ["DOTNET_STARTUP_HOOKS"] = "" },
            },
        });

        var error = await Assert.ThrowsAsync<WorkerStartException>(() => executor.Submit(ContractWorkAlias.Square, 3));
        Assert.Contains("Spindle.Worker.RunIfWorker();", error.Message, StringComparison.Ordinal);
        Assert.Contains("exited with code 5", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Options_AllProblemsReportedTogether()
    {
        var error = Assert.Throws<SpindleOptionsException>(() => Executor.Processes(new ProcessExecutorOptions
        {
            MaxWorkers = 0,
            MaxTasksPerWorker = -1,
            MemoryLimitBytes = 0,
            IdleTimeout = TimeSpan.Zero,
        }));

        Assert.Equal(4, error.Problems.Count);
        Assert.Contains("MaxWorkers must be greater than 0 (was 0)", error.Message, StringComparison.Ordinal);
        Assert.Contains("MaxTasksPerWorker must be greater than 0 (was -1)", error.Message, StringComparison.Ordinal);
    }

    [Theory(Timeout = TestWait.Hard)]
    [InlineData("idle")]
    [InlineData("map")]
    public async Task ParentKilled_LeavesNoWorkerAndNoSocketDirectory(string phase)
    {
        using var parent = ProcessProbe.StartDummy("parent", "2", phase);
        var directory = await ProcessProbe.ReadLineStartingWith(parent, "dir:");
        var pids = (await ProcessProbe.ReadLineStartingWith(parent, "pids:")).Split(' ').Select(int.Parse).ToArray();
        var children = (await ProcessProbe.ReadLineStartingWith(parent, "children:")).Split(' ').Select(int.Parse).ToArray();
        await ProcessProbe.ReadLineStartingWith(parent, "ready");
        Assert.All(pids.Concat(children), pid => Assert.True(ProcessProbe.IsAlive(pid)));
        var workers = pids.Select(ProcessProbe.Identify).ToArray();

        parent.Kill();

        await TestWait.UntilAsync(() => pids.Concat(children).All(pid => !ProcessProbe.IsAlive(pid)), "every worker and task child is gone", TimeSpan.FromSeconds(3));
        await TestWait.UntilAsync(() => !Directory.Exists(directory), "the socket directory is removed", TimeSpan.FromSeconds(3));
        Assert.All(workers, static worker => Assert.Empty(ProcessProbe.DiagnosticFiles(worker)));
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task ParentInterrupted_StopsItsWorkers()
    {
        using var parent = ProcessProbe.StartDummy("parent", "1", "idle");
        var pids = (await ProcessProbe.ReadLineStartingWith(parent, "pids:")).Split(' ').Select(int.Parse).ToArray();
        await ProcessProbe.ReadLineStartingWith(parent, "ready");

        Assert.True(Libc.Signal(parent.Id, 2));
        await parent.WaitForExitAsync().WaitAsync(TestWait.Generous);
        await TestWait.UntilAsync(() => pids.All(pid => !ProcessProbe.IsAlive(pid)), "the workers are gone", TimeSpan.FromSeconds(3));
    }
}
