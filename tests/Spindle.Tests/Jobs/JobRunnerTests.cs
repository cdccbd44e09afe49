using System.Text.RegularExpressions;
using Spindle.Jobs;

namespace Spindle.Tests.Jobs;

/// <summary>The runner with real processes through /bin/sh: small, deterministic payloads that signal through files.</summary>
public sealed class JobRunnerTests
{
    [Fact(Timeout = TestWait.Hard)]
    public async Task Run_AllSucceed_ExitStatusZeroAndEveryOutput()
    {
        using var run = new JobTestRun();
        var result = await run.RunAsync(JobTestRun.Options("echo", "a", "b c", "it's $HOME"));
        Assert.Equal(0, result.ExitStatus);
        Assert.Equal(3, result.Succeeded);
        Assert.Equal(["a", "b c", "it's $HOME"], run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Order());
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task Run_SomeFail_ExitStatusIsTheNumberFailed()
    {
        using var run = new JobTestRun();
        var result = await run.RunAsync(JobTestRun.Options("exit {}", "0", "1", "2", "3", "0"));
        Assert.Equal(3, result.ExitStatus);
        Assert.Equal(3, result.Failed);
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task Run_MoreThan100Fail_ExitStatus101()
    {
        using var run = new JobTestRun();
        var result = await run.RunAsync(JobTestRun.Options("false") with { Inputs = [JobInputSource.FromValues(Enumerable.Range(1, 102).Select(i => i.ToString()))], Jobs = "4" });
        Assert.Equal(101, result.ExitStatus);
        Assert.Equal(102, result.Failed);
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task Run_KeepOrder_OutputInInputOrderAlthoughJobTwoFinishesFirst()
    {
        using var run = new JobTestRun();
        var gate = run.PathOf("two-done");
        // Job 2 leaves its pid; job 1 waits until that process is gone (reaped by the runner), so job 2's output
        // is ready first.
        var options = new JobRunOptions
        {
            Command = [$"if [ {{}} = 1 ]; then while [ ! -f {gate} ]; do sleep 0.01; done; while kill -0 $(cat {gate}) 2>/dev/null; do sleep 0.01; done; sleep 0.05; else echo $$ > {gate}.tmp; mv {gate}.tmp {gate}; fi; echo {{}}"],
            Inputs = [JobInputSource.FromValues(["1", "2"])],
            Jobs = "2",
        };
        await run.RunAsync(options);
        Assert.Equal("2\n1\n", run.Stdout);
        File.Delete(gate);
        await run.RunAsync(options with { KeepOrder = true });
        Assert.Equal("1\n2\n", run.Stdout);
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task Run_HeavyConcurrentOutputGrouped_EachJobsOutputContiguousAndNoTornLines()
    {
        using var run = new JobTestRun();
        // 16 jobs at once, each writing 3,000 lines in many small writes to stdout and stderr.
        var options = new JobRunOptions
        {
            Command = ["i=0; while [ $i -lt 3000 ]; do echo \"job {} line $i xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"; i=$((i+1)); done; echo \"job {} err\" >&2"],
            Inputs = [JobInputSource.FromValues(Enumerable.Range(1, 16).Select(i => i.ToString()))],
            Jobs = "16",
        };
        var result = await run.RunAsync(options);
        Assert.Equal(0, result.ExitStatus);
        var lines = run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(16 * 3000, lines.Length);
        Assert.All(lines, l => Assert.Matches(@"^job \d+ line \d+ x{32}$", l));
        // Grouped: once a job's lines start, all 3,000 follow in order before another job's.
        for (var start = 0; start < lines.Length; start += 3000)
        {
            var job = lines[start].Split(' ')[1];
            for (var i = 0; i < 3000; i++)
            {
                Assert.Equal($"job {job} line {i} xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", lines[start + i]);
            }
        }

        Assert.Equal(16, run.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task Run_HeavyConcurrentOutputLineBuffered_NoTornLinesAndEachJobInOrder()
    {
        using var run = new JobTestRun();
        var options = new JobRunOptions
        {
            // printf of a line in two writes: a torn line would show up as a half line.
            Command = ["i=0; while [ $i -lt 2000 ]; do printf 'job {} line %d ' $i; printf 'yyyyyyyyyyyyyyyy\\n'; i=$((i+1)); done"],
            Inputs = [JobInputSource.FromValues(Enumerable.Range(1, 8).Select(i => i.ToString()))],
            Jobs = "8",
            OutputMode = JobOutputMode.LineBuffer,
        };
        await run.RunAsync(options);
        var lines = run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(8 * 2000, lines.Length);
        Assert.All(lines, l => Assert.Matches(@"^job \d line \d+ y{16}$", l));
        foreach (var job in lines.GroupBy(l => l.Split(' ')[1]))
        {
            Assert.Equal(Enumerable.Range(0, 2000), job.Select(l => int.Parse(l.Split(' ')[3])));
        }
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task Run_Ungrouped_PassesEverythingThrough()
    {
        using var run = new JobTestRun();
        await run.RunAsync(JobTestRun.Options("printf '%s\\n'", "a", "b") with { OutputMode = JobOutputMode.Ungroup, Jobs = "1" });
        Assert.Equal("a\nb\n", run.Stdout);
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task Run_Tag_PrefixesEveryLineOfStdoutAndStderr()
    {
        using var run = new JobTestRun();
        // parallel --tag echo ::: a b ::: 1  →  "a 1\ta 1", "b 1\tb 1"
        var options = new JobRunOptions { Command = ["echo"], Inputs = [JobInputSource.FromValues(["a", "b"]), JobInputSource.FromValues(["1"])], Tag = true, KeepOrder = true, Jobs = "2" };
        await run.RunAsync(options);
        Assert.Equal("a 1\ta 1\nb 1\tb 1\n", run.Stdout);
        await run.RunAsync(JobTestRun.Options("echo out; echo err >&2; printf last #", "x") with { Tag = true });
        Assert.Equal("x\tout\nx\tlast", run.Stdout);
        Assert.Equal("x\terr\n", run.Stderr);
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task Run_JobLog_GnuParallelsTsvFormat()
    {
        using var run = new JobTestRun();
        var log = run.PathOf("joblog");
        await run.RunAsync(JobTestRun.Options("echo {}; exit {}", "0", "3") with { JobLog = log, KeepOrder = true });
        var lines = File.ReadAllLines(log);
        Assert.Equal(JobLog.Header, lines[0]);
        Assert.Equal(3, lines.Length);
        var rows = lines.Skip(1).Select(l => l.Split('\t')).OrderBy(r => r[0]).ToList();
        Assert.Matches(@"^1\t:\t\d{10}\.\d{3}\t +\d+\.\d{3}\t0\t2\t0\t0\techo 0; exit 0$", lines.Skip(1).Single(l => l.StartsWith("1\t", StringComparison.Ordinal)));
        Assert.Equal(["2", ":", "0", "2", "3", "0", "echo 3; exit 3"], new[] { rows[1][0], rows[1][1], rows[1][4], rows[1][5], rows[1][6], rows[1][7], rows[1][8] });
        Assert.Equal(10, rows[1][3].Length);
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task Run_Resume_SkipsEveryLoggedJob_ResumeFailed_RerunsOnlyFailedOnes()
    {
        using var run = new JobTestRun();
        var log = run.PathOf("joblog");
        var flag = run.PathOf("fixed");
        // Job 2 fails until the flag file exists.
        var options = JobTestRun.Options($"echo ran {{}} >> {run.PathOf("runs")}; [ {{}} != 2 ] || [ -f {flag} ]", "1", "2", "3") with { JobLog = log };
        Assert.Equal(1, (await run.RunAsync(options)).ExitStatus);

        var resumed = await run.RunAsync(options with { Resume = true, Inputs = [JobInputSource.FromValues(["1", "2", "3", "4"])] });
        Assert.Equal((0, 3L, 1L), (resumed.ExitStatus, resumed.Skipped, resumed.Started));

        File.WriteAllText(flag, "");
        var retried = await run.RunAsync(options with { ResumeFailed = true, Inputs = [JobInputSource.FromValues(["1", "2", "3", "4"])] });
        Assert.Equal((0, 3L, 1L), (retried.ExitStatus, retried.Skipped, retried.Started));
        Assert.Equal(["ran 1", "ran 2", "ran 2", "ran 3", "ran 4"], File.ReadAllLines(run.PathOf("runs")).Order());
        // The log was appended to: one header, then a line for each of the 5 runs.
        Assert.Single(File.ReadAllLines(log), l => l.StartsWith("Seq", StringComparison.Ordinal));
        Assert.Equal(6, File.ReadAllLines(log).Length);
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task Run_Retries_TriesAFailingJobNTimesAndPrintsOnlyTheLastOutput()
    {
        using var run = new JobTestRun();
        var count = run.PathOf("count");
        var result = await run.RunAsync(JobTestRun.Options($"echo try >> {count}; echo out; exit 1", "x") with { Retries = 3, JobLog = run.PathOf("log") });
        Assert.Equal(1, result.ExitStatus);
        Assert.Equal(3, File.ReadAllLines(count).Length);
        Assert.Equal("out\n", run.Stdout);
        Assert.Equal(2, File.ReadAllLines(run.PathOf("log")).Length);
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task Run_RetriesSucceedOnSecondTry_CountsAsSuccess()
    {
        using var run = new JobTestRun();
        var marker = run.PathOf("tried");
        var result = await run.RunAsync(JobTestRun.Options($"if [ -f {marker} ]; then echo ok; else touch {marker}; exit 1; fi # {{}}", "x") with { Retries = 2 });
        Assert.Equal((0, "ok\n"), (result.ExitStatus, run.Stdout));
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task Run_Timeout_KillsTheJobsWholeProcessTree()
    {
        using var run = new JobTestRun();
        var pidFile = run.PathOf("grandchild");
        // The job starts a grandchild that would sleep for a minute, then waits on it.
        var options = JobTestRun.Options($"sleep 60 & echo $! > {pidFile}; wait # {{}}", "x") with { Timeout = "0.5", JobLog = run.PathOf("log") };
        var result = await run.RunAsync(options);
        Assert.Equal(1, result.ExitStatus);
        var grandchild = int.Parse(File.ReadAllText(pidFile).Trim());
        await TestWait.UntilAsync(() => !JobTestRun.IsAlive(grandchild), "the timed-out job's grandchild is gone");
        var row = File.ReadAllLines(run.PathOf("log"))[1].Split('\t');
        Assert.Equal(("-1", "15"), (row[6], row[7]));
        Assert.Contains("timed out", run.Stderr, StringComparison.Ordinal);
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task Run_TimeoutPercent_KillsAJobFarSlowerThanTheMedian()
    {
        using var run = new JobTestRun();
        // Three quick jobs set the median; the fourth would sleep a minute and is killed at 500% of it. The quick jobs
        // take 0.3 s, not nothing: 500% of a 2 ms median would also kill a quick job that a busy machine delayed.
        var options = JobTestRun.Options("if [ {} = slow ]; then sleep 60; else sleep 0.3; fi", "a", "b", "c", "slow") with { Jobs = "1", Timeout = "500%" };
        var result = await run.RunAsync(options);
        Assert.Equal((1, 1L), (result.ExitStatus, result.Failed));
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task Run_TimeoutPercent_KillsAJobThatStartedBeforeAnyMedianExisted()
    {
        using var run = new JobTestRun();
        // Both start at once; when the quick job ends, the median exists and the slow job (already running, with no
        // limit when it started) is past 500% of it before long: GNU parallel kills it then, not never.
        var options = JobTestRun.Options("if [ {} = slow ]; then sleep 60; else sleep 0.3; fi", "slow", "quick") with { Jobs = "2", Timeout = "500%" };
        var result = await run.RunAsync(options);
        Assert.Equal((1, 1L), (result.ExitStatus, result.Failed));
        Assert.Contains("timed out", run.Stderr, StringComparison.Ordinal);
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task Run_HaltNowFail_KillsRunningJobsAndExitsWithTheFailingExitValue()
    {
        using var run = new JobTestRun();
        var started = run.PathOf("long-started");
        var pidFile = run.PathOf("long-pid");
        // Job "long" starts a minute-long sleep; job "fail" waits until it runs, then fails with 7.
        var options = JobTestRun.Options($"if [ {{}} = long ]; then sleep 60 & echo $! > {pidFile}; touch {started}; wait; else while [ ! -f {started} ]; do sleep 0.01; done; exit 7; fi", "long", "fail", "never") with { Halt = "now,fail=1" };
        var result = await run.RunAsync(options);
        Assert.Equal(7, result.ExitStatus);
        Assert.True(result.Halted);
        Assert.Equal(2, result.Started);
        var sleeper = int.Parse(File.ReadAllText(pidFile).Trim());
        await TestWait.UntilAsync(() => !JobTestRun.IsAlive(sleeper), "the running job's tree is killed");
        Assert.Contains("This job failed:", run.Stderr, StringComparison.Ordinal);
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task Run_HaltSoonFail_LetsRunningJobsFinishAndStartsNoMore()
    {
        using var run = new JobTestRun();
        var failed = run.PathOf("failed");
        // "slow" waits until "fail" has failed, then finishes normally; "later" must never start.
        var options = JobTestRun.Options($"if [ {{}} = slow ]; then while [ ! -f {failed} ]; do sleep 0.01; done; sleep 0.2; echo slow done; elif [ {{}} = fail ]; then touch {failed}; exit 4; else echo later; fi", "slow", "fail", "later") with { Halt = "soon,fail=1" };
        var result = await run.RunAsync(options);
        Assert.Equal(4, result.ExitStatus);
        Assert.Contains("slow done", run.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("later", run.Stdout, StringComparison.Ordinal);
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task Run_HaltNowSuccess_ExitsZeroAfterTheFirstSuccess()
    {
        using var run = new JobTestRun();
        // parallel -j1 --halt now,success=1 'exit {}' ::: 3 0 0 0  →  exit 0 after two jobs
        var result = await run.RunAsync(JobTestRun.Options("exit {}", "3", "0", "0", "0") with { Jobs = "1", Halt = "now,success=1" });
        Assert.Equal((0, 2L), (result.ExitStatus, result.Started));
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task Run_Cancelled_KillsRunningTreesAndThrows()
    {
        using var run = new JobTestRun();
        var pidFile = run.PathOf("pid");
        using var cancel = new CancellationTokenSource();
        var task = run.RunAsync(JobTestRun.Options($"sleep 60 & echo $! > {pidFile}; wait # {{}}", "x"), cancel.Token);
        await TestWait.UntilAsync(() => File.Exists(pidFile) && File.ReadAllText(pidFile).EndsWith('\n'), "the job has started its grandchild");
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => task);
        var grandchild = int.Parse(File.ReadAllText(pidFile).Trim());
        await TestWait.UntilAsync(() => !JobTestRun.IsAlive(grandchild), "the cancelled job's grandchild is gone");
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task Run_Delay_SpacesJobStarts()
    {
        using var run = new JobTestRun();
        var log = run.PathOf("log");
        await run.RunAsync(JobTestRun.Options("true", "1", "2", "3") with { Delay = TimeSpan.FromMilliseconds(300), JobLog = log, Jobs = "3" });
        var starts = File.ReadAllLines(log).Skip(1).Select(l => double.Parse(l.Split('\t')[2], System.Globalization.CultureInfo.InvariantCulture)).Order().ToList();
        Assert.True(starts[1] - starts[0] >= 0.2 && starts[2] - starts[1] >= 0.2, $"starts were {string.Join(", ", starts)}");
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task Run_DryRun_PrintsCommandsAndRunsNothing()
    {
        using var run = new JobTestRun();
        var marker = run.PathOf("ran");
        var result = await run.RunAsync(JobTestRun.Options($"touch {marker}; echo", "a b", "c") with { DryRun = true });
        Assert.Equal(0, result.ExitStatus);
        Assert.Equal($"touch {marker}; echo 'a b'\ntouch {marker}; echo c\n", run.Stdout);
        Assert.False(File.Exists(marker));
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task Run_Results_WritesGnuParallelsLayout()
    {
        using var run = new JobTestRun();
        var dir = run.PathOf("res");
        var options = new JobRunOptions { Command = ["echo {1}-{2}; echo e >&2"], Inputs = [JobInputSource.FromValues(["a b", "c/d"]), JobInputSource.FromValues(["1"])], ResultsDirectory = dir, Jobs = "2" };
        await run.RunAsync(options);
        Assert.Equal("a b-1\n", File.ReadAllText(Path.Combine(dir, "1", "a b", "2", "1", "stdout")));
        Assert.Equal("e\n", File.ReadAllText(Path.Combine(dir, "1", "c\\_d", "2", "1", "stderr")));
        Assert.Equal("2", File.ReadAllText(Path.Combine(dir, "1", "c\\_d", "2", "1", "seq")));
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task Run_NoShell_PassesArgumentsVerbatim()
    {
        using var run = new JobTestRun();
        await run.RunAsync(JobTestRun.Options("printf", "$HOME;|*") with { Command = ["printf", "[%s]", "{}"], CommandMode = JobCommandMode.NoShell });
        Assert.Equal("[$HOME;|*]", run.Stdout);
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task Run_NoShell_MissingProgram_FailsWith127()
    {
        using var run = new JobTestRun();
        var result = await run.RunAsync(JobTestRun.Options("no-such-program-xyz", "a") with { CommandMode = JobCommandMode.NoShell, JobLog = run.PathOf("log") });
        Assert.Equal(1, result.ExitStatus);
        Assert.Equal("127", File.ReadAllLines(run.PathOf("log"))[1].Split('\t')[6]);
        Assert.Contains("no-such-program-xyz", run.Stderr, StringComparison.Ordinal);
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task Run_QuoteCommand_ShellSeesNoSpecialCharacters()
    {
        using var run = new JobTestRun();
        await run.RunAsync(new JobRunOptions { Command = ["printf", "%s|", "{} $HOME"], Inputs = [JobInputSource.FromValues(["a;b"])], CommandMode = JobCommandMode.QuoteCommand });
        Assert.Equal("a;b $HOME|", run.Stdout);
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task Run_StandardInputLines_NullSeparatedAndColsep()
    {
        using var run = new JobTestRun();
        await run.RunAsync(new JobRunOptions { Command = ["echo"], StandardInput = new StringReader("a\nb c\n"), KeepOrder = true });
        Assert.Equal("a\nb c\n", run.Stdout);
        await run.RunAsync(new JobRunOptions { Command = ["echo", "[{}]"], StandardInput = new StringReader("x\ny\0z"), NullSeparated = true, KeepOrder = true });
        Assert.Equal("[x\ny]\n[z]\n", run.Stdout);
        await run.RunAsync(new JobRunOptions { Command = ["echo", "{2}", "{1}"], StandardInput = new StringReader("a,b\n"), ColumnSeparator = ",", KeepOrder = true });
        Assert.Equal("b a\n", run.Stdout);
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task Run_FileSource_ReadsLines()
    {
        using var run = new JobTestRun();
        var file = run.PathOf("inputs");
        File.WriteAllLines(file, ["x", "y"]);
        await run.RunAsync(new JobRunOptions { Command = ["echo"], Inputs = [JobInputSource.FromValues(["a"]), JobInputSource.FromFile(file)], KeepOrder = true });
        Assert.Equal("a x\na y\n", run.Stdout);
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task Run_SeqSlotAndEnvironment_MatchGnuParallel()
    {
        using var run = new JobTestRun();
        await run.RunAsync(JobTestRun.Options("echo {#} {%} $PARALLEL_SEQ $PARALLEL_JOBSLOT", "a", "b", "c", "d") with { Jobs = "2", KeepOrder = true });
        var rows = run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' ')).ToList();
        Assert.Equal(["1", "2", "3", "4"], rows.Select(r => r[0]));
        Assert.All(rows, r => Assert.Equal(r[0], r[2]));
        Assert.All(rows, r => Assert.Equal(r[1], r[3]));
        Assert.All(rows, r => Assert.Contains(r[1], new[] { "1", "2" }));
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task Run_JobsStdin_IsDevNull()
    {
        using var run = new JobTestRun();
        await run.RunAsync(new JobRunOptions { Command = ["cat; echo"], StandardInput = new StringReader("line\n") });
        Assert.Equal("line\n", run.Stdout);
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task Run_Progress_ReportsCounts()
    {
        using var run = new JobTestRun();
        var reports = new List<JobProgress>();
        var progress = new SyncProgress(p =>
        {
            lock (reports)
            {
                reports.Add(p);
            }
        });
        await run.RunAsync(JobTestRun.Options("exit {}", "0", "1", "0") with { Progress = progress, ReadInputsFirst = true });
        var last = reports.MaxBy(r => r.Completed);
        Assert.Equal((3L, 3L, 1L, 3L), (last.Total!.Value, last.Completed, last.Failed, last.Started));
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task Run_InvalidOptions_ThrowBeforeAnyJobStarts()
    {
        using var run = new JobTestRun();
        var marker = run.PathOf("ran");
        var e = await Assert.ThrowsAsync<SpindleOptionsException>(() => run.RunAsync(JobTestRun.Options($"touch {marker}", "a") with { Halt = "whenever" }));
        Assert.Contains("'whenever'", e.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(marker));
    }

    private sealed class SyncProgress(Action<JobProgress> report) : IProgress<JobProgress>
    {
        public void Report(JobProgress value) => report(value);
    }
}
