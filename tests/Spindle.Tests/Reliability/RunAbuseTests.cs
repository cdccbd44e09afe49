using System.Diagnostics;
using System.Globalization;
using System.Text;
using Spindle.Jobs;
using Spindle.Tests.Jobs;

namespace Spindle.Tests.Reliability;

/// <summary>
/// <c>spindle run</c> under abuse: many jobs, huge and binary input, jobs that print hundreds of megabytes, never
/// exit, ignore SIGTERM or leave grandchildren behind. Each must end on its own with the right exit status, leave
/// no process behind and keep the runner's memory bounded.
/// </summary>
/// <remarks>
/// CI sizes by default; <c>SPINDLE_SOAK=1</c> scales them to the full sizes (100,000 jobs, gigabytes of output),
/// as benchmarks/reliability/run-abuse-soak.sh does. Leaks are found through /proc: every job process carries
/// PARALLEL_PID, the pid of the <c>spindle</c> process that started it, in its environment.
/// </remarks>
[Trait("Category", "Reliability")]
public sealed class RunAbuseTests
{
    // xunit needs a constant; the real bound of each wait is Limit (60 s in CI), checked by WaitAsync.
    private const int Hard = 30 * 60_000;

    private static readonly bool Soak = Environment.GetEnvironmentVariable("SPINDLE_SOAK") == "1";

    private static readonly TimeSpan Limit = Soak ? TimeSpan.FromMinutes(25) : TimeSpan.FromSeconds(60);

    private static int JobCount => Soak ? 100_000 : 5_000;

    private static long OutputBytes => Soak ? 2L << 30 : 200L << 20;

    // The runner's peak RSS may not exceed this, whatever one job prints: the CLI's own ~40-70 MB plus buffers.
    private const long RssBound = 160L << 20;

    [Fact(Timeout = Hard)]
    public async Task Run_ThousandsOfJobs_AllRunExitStatusCountsFailuresNoneLeft()
    {
        using var run = new JobTestRun();
        var log = run.PathOf("joblog");
        var input = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Range(1, JobCount).Select(i => $"{i}\n")));
        // Every 97th job fails: 51 failures in CI (exit 51), 1,030 in the soak (exit 101, "more than 100").
        var failures = JobCount / 97;
        var cli = await Cli.RunAsync(["-j8", "--joblog", log, "exit $(( {} % 97 == 0 ))"], input);
        Assert.Equal(Math.Min(failures, 101), cli.ExitCode);
        var lines = File.ReadAllLines(log).Skip(1).Select(l => l.Split('\t')).ToList();
        Assert.Equal(JobCount, lines.Count);
        Assert.Equal(Enumerable.Range(1, JobCount).Select(i => (long)i), lines.Select(l => long.Parse(l[0], CultureInfo.InvariantCulture)).Order());
        Assert.Equal(failures, lines.Count(l => l[6] == "1"));
        Assert.Empty(Cli.LeftoverJobProcesses(cli.Pid));
    }

    [Fact(Timeout = Hard)]
    public async Task Run_ThousandsOfJobsInProcess_NoDescriptorOrThreadLeak()
    {
        using var run = new JobTestRun();
        var count = Soak ? JobCount : 2_000;
        var fdsBefore = Directory.GetFiles("/proc/self/fd").Length;
        var result = await JobRunner.RunAsync(new JobRunOptions
        {
            Command = ["true"],
            Jobs = "8",
            StandardInput = new StringReader(string.Concat(Enumerable.Range(1, count).Select(i => $"{i}\n"))),
            StandardOutput = Stream.Null,
            StandardError = Stream.Null,
        }).WaitAsync(Limit);
        Assert.Equal(0, result.ExitStatus);
        Assert.Equal(count, result.Succeeded);
        // Two memfds per job: a leak of even one per job would show thousands. Other tests run alongside and
        // hold descriptors of their own, hence the slack.
        Assert.InRange(Directory.GetFiles("/proc/self/fd").Length, 0, fdsBefore + 200);
    }

    [Fact(Timeout = Hard)]
    public async Task Run_OneMegabyteInputLine_ReadWholeRejectedWithReasonOthersRun()
    {
        using var run = new JobTestRun();
        var huge = new string('m', 1 << 20);
        var large = new string('l', 100_000);
        // The 1 MiB value cannot be one argument (Linux takes 128 KiB per argument); the 100 KB one can, and must
        // arrive whole, as must the short line after the huge one.
        var result = await run.RunAsync(new JobRunOptions
        {
            Command = ["printf %s {} | wc -c"],
            Jobs = "2",
            KeepOrder = true,
            StandardInput = new StringReader($"{large}\n{huge}\nshort\n"),
        }).WaitAsync(Limit);
        Assert.Equal(1, result.ExitStatus);
        Assert.Equal(2, result.Succeeded);
        Assert.Equal(["100000", "5"], run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(s => s.Trim()));
        Assert.Contains("Command line too long", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("job 2", run.Stderr, StringComparison.Ordinal);
    }

    [Fact(Timeout = Hard)]
    public async Task Run_BinaryNulSeparatedInput_EveryRecordAJobAndBytesIntact()
    {
        using var run = new JobTestRun();
        // Records with every byte but NUL that survives a text reader (all of ASCII, newlines and quotes
        // included, and multi-byte UTF-8), separated by NUL as find -print0 writes them.
        var ascii = new string(Enumerable.Range(1, 127).Select(b => (char)b).ToArray());
        var records = new[] { ascii, "line one\nline two\n", "it's \"$(rm -rf /)\" `x` \\ ;|&", "naïve 日本語 🎉", new string('z', 50_000) };
        var input = string.Join('\0', records) + "\0";
        var dir = run.PathOf("out");
        Directory.CreateDirectory(dir);
        var cli = await Cli.RunAsync(["-0", "-j2", $"printf %s {{}} > {dir}/{{#}}"], Encoding.UTF8.GetBytes(input));
        Assert.Equal(0, cli.ExitCode);
        for (var i = 0; i < records.Length; i++)
        {
            Assert.Equal(Encoding.UTF8.GetBytes(records[i]), File.ReadAllBytes(Path.Combine(dir, (i + 1).ToString(CultureInfo.InvariantCulture))));
        }
    }

    [Fact(Timeout = Hard)]
    public async Task Run_BinaryGarbageInput_NoHangOneJobPerRecord()
    {
        using var run = new JobTestRun();
        // Random bytes, invalid UTF-8 included: each NUL-separated record is one job, whatever its bytes.
        var random = new Random(8);
        var records = Enumerable.Range(0, 200).Select(_ =>
        {
            var bytes = new byte[random.Next(1, 300)];
            random.NextBytes(bytes);
            return bytes.Select(b => b == 0 ? (byte)1 : b).ToArray();
        }).ToList();
        var input = records.SelectMany(r => r.Append((byte)0)).ToArray();
        var cli = await Cli.RunAsync(["-0", "-j4", "-k", "printf '%s ' {#}; printf %s {} | wc -c"], input);
        Assert.Equal(0, cli.ExitCode);
        var lines = cli.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(Enumerable.Range(1, records.Count).Select(i => i.ToString(CultureInfo.InvariantCulture)), lines.Select(l => l.Split(' ')[0]));
        // Bytes that are not UTF-8 reach the job as U+FFFD (three bytes each): the input is read as text.
        Assert.All(lines, l => Assert.True(long.Parse(l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) > 0));
    }

    [Theory(Timeout = Hard)]
    [InlineData("")]
    [InlineData("--line-buffer")]
    [InlineData("--ungroup")]
    [InlineData("--keep-order")]
    public async Task Run_JobPrintsHundredsOfMegabytes_AllArrivesRunnerMemoryBounded(string mode)
    {
        // 200 MB in CI, 2 GiB in the soak, through one job. Grouped output waits in the job's memfd (kernel
        // pages, as GNU parallel's waits in a temp file) and is copied out in chunks; the runner's own memory must
        // not grow with it. A managed-heap cap makes any whole-output array fail outright.
        var args = new List<string> { "-j1" };
        if (mode.Length > 0)
        {
            args.Add(mode);
        }

        args.Add($"yes 0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz | head -c {OutputBytes} # {{}}");
        args.AddRange([":::", "only"]);
        long peakRss = 0;
        var cli = await Cli.RunAsync([.. args], [], stdoutReader: async (stdout, pid) =>
        {
            var buffer = new byte[1 << 16];
            long total = 0;
            int read;
            while ((read = await stdout.ReadAsync(buffer)) > 0)
            {
                total += read;
                // With 8 MB left unread the runner is blocked writing to us, past any point of holding the
                // output: VmHWM, the peak so far, now covers every buffer it ever held.
                if (peakRss == 0 && total >= OutputBytes - (8 << 20))
                {
                    peakRss = Cli.PeakRss(pid);
                }
            }

            return total;
        }, environment: new() { ["DOTNET_GCHeapHardLimit"] = "0x6000000" });
        Assert.Equal(0, cli.ExitCode);
        Assert.Equal(OutputBytes, cli.StdoutBytes);
        Assert.InRange(peakRss, 1, RssBound);
        Assert.Empty(Cli.LeftoverJobProcesses(cli.Pid));
    }

    [Fact(Timeout = Hard)]
    public async Task Run_JobNeverExitsUnderTimeout_KilledWithItsTreeOthersSucceed()
    {
        using var run = new JobTestRun();
        var pid = run.PathOf("sleeper");
        var result = await run.RunAsync(JobTestRun.Options($"if [ {{}} = never ]; then sleep 1000 & echo $! > {pid}; wait; else echo {{}}; fi", "never", "a", "b") with
        {
            Timeout = "1",
            JobLog = run.PathOf("log"),
        }).WaitAsync(Limit);
        Assert.Equal(1, result.ExitStatus);
        Assert.Equal(2, result.Succeeded);
        Assert.Contains("timed out", run.Stderr, StringComparison.Ordinal);
        Assert.False(JobTestRun.IsAlive(int.Parse(File.ReadAllText(pid), CultureInfo.InvariantCulture)));
        // GNU parallel's job log: exit value -1 for a job killed by --timeout.
        Assert.Contains(File.ReadAllLines(run.PathOf("log")), l => l.Split('\t') is [_, _, _, _, _, _, "-1", _, ..]);
    }

    [Theory(Timeout = Hard)]
    [InlineData(JobOutputMode.Group)]
    [InlineData(JobOutputMode.LineBuffer)]
    public async Task Run_JobIgnoresSigterm_EndedByKillEscalation(JobOutputMode mode)
    {
        using var run = new JobTestRun();
        var pid = run.PathOf("stubborn");
        // Ignored signals stay ignored across exec: both the shell and its sleep shrug off SIGTERM.
        var result = await run.RunAsync(JobTestRun.Options($"trap '' TERM; sleep 1000 & echo $! > {pid}; wait # {{}}", "x") with
        {
            Timeout = "0.5",
            OutputMode = mode,
            JobLog = run.PathOf("log"),
        }).WaitAsync(Limit);
        Assert.Equal(1, result.ExitStatus);
        Assert.False(JobTestRun.IsAlive(int.Parse(File.ReadAllText(pid), CultureInfo.InvariantCulture)));
        Assert.Equal("9", File.ReadAllLines(run.PathOf("log"))[1].Split('\t')[7]);
    }

    [Fact(Timeout = Hard)]
    public async Task Run_CancelledWhileJobsIgnoreSigterm_EveryTreeKilledRunEnds()
    {
        using var run = new JobTestRun();
        using var cancel = new CancellationTokenSource();
        var options = JobTestRun.Options($"trap '' TERM; sleep 1000 & echo $! > {run.Dir}/{{}}.pid; wait", "a", "b", "c", "d") with { Jobs = "4" };
        var running = run.RunAsync(options, cancel.Token);
        var pids = new[] { "a", "b", "c", "d" }.Select(n => Path.Combine(run.Dir, n + ".pid")).ToArray();
        await TestWait.UntilAsync(() => pids.All(p => File.Exists(p) && File.ReadAllText(p).EndsWith('\n')), "all four jobs started their sleep");
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running.WaitAsync(Limit));
        await TestWait.UntilAsync(() => pids.All(p => !JobTestRun.IsAlive(int.Parse(File.ReadAllText(p), CultureInfo.InvariantCulture))), "every sleep is gone");
    }

    [Theory(Timeout = Hard)]
    [InlineData("")]
    [InlineData("--line-buffer")]
    [InlineData("--ungroup")]
    public async Task Run_JobLeavesGrandchildrenBehind_NoneSurviveNoHang(string mode)
    {
        using var run = new JobTestRun();
        // Three kinds of leftovers: a background child, a double-forked orphan (its parent already gone), and
        // one that ignores SIGTERM; each holds the job's stdout open. The job itself exits at once.
        var d = run.Dir;
        var job = $"sleep 1000 & echo $! > {d}/{{}}.1; (sleep 1000 & echo $! > {d}/{{}}.2); (trap '' TERM; exec sleep 1000) & echo $! > {d}/{{}}.3; echo done {{}}";
        var args = new List<string> { "-j3" };
        if (mode.Length > 0)
        {
            args.Add(mode);
        }

        args.AddRange([job, ":::", "a", "b", "c"]);
        var cli = await Cli.RunAsync([.. args], []);
        Assert.Equal(0, cli.ExitCode);
        Assert.Equal(["done a", "done b", "done c"], cli.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Order());
        var pids = Directory.GetFiles(d).Select(f => int.Parse(File.ReadAllText(f), CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(9, pids.Count);
        Assert.All(pids, p => Assert.False(JobTestRun.IsAlive(p), $"grandchild {p} survived its job"));
        Assert.Empty(Cli.LeftoverJobProcesses(cli.Pid));
    }

    /// <summary>The real <c>spindle</c> CLI as a child process, so that its leaks and memory are its own.</summary>
    private static class Cli
    {
        public sealed record Result(int Pid, int ExitCode, string Stdout, long StdoutBytes, string Stderr);

        public static async Task<Result> RunAsync(
            string[] runArgs,
            byte[] stdin,
            Func<Stream, int, Task<long>>? stdoutReader = null,
            Dictionary<string, string>? environment = null)
        {
            var start = new ProcessStartInfo("dotnet")
            {
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Spindle.Cli.dll"));
            start.ArgumentList.Add("run");
            foreach (var arg in runArgs)
            {
                start.ArgumentList.Add(arg);
            }

            foreach (var (key, value) in environment ?? [])
            {
                start.Environment[key] = value;
            }

            using var process = Process.Start(start)!;
            try
            {
                var feed = Task.Run(async () =>
                {
                    await process.StandardInput.BaseStream.WriteAsync(stdin);
                    process.StandardInput.Close();
                });
                var stderr = process.StandardError.ReadToEndAsync();
                string stdoutText = "";
                long stdoutBytes;
                if (stdoutReader is null)
                {
                    stdoutText = await process.StandardOutput.ReadToEndAsync().WaitAsync(Limit);
                    stdoutBytes = stdoutText.Length;
                }
                else
                {
                    stdoutBytes = await stdoutReader(process.StandardOutput.BaseStream, process.Id).WaitAsync(Limit);
                }

                await process.WaitForExitAsync().WaitAsync(Limit);
                await feed.WaitAsync(Limit);
                return new Result(process.Id, process.ExitCode, stdoutText, stdoutBytes, await stderr.WaitAsync(Limit));
            }
            finally
            {
                if (!process.HasExited)
                {
                    process.Kill(entireProcessTree: true);
                }
            }
        }

        /// <summary>The peak resident set (VmHWM) of a running process, in bytes.</summary>
        public static long PeakRss(int pid)
        {
            var line = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
            return long.Parse(line["VmHWM:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
        }

        /// <summary>Live (not zombie) processes whose environment says that the spindle process <paramref name="runnerPid"/> started them.</summary>
        public static List<string> LeftoverJobProcesses(int runnerPid)
        {
            var marker = Encoding.ASCII.GetBytes($"PARALLEL_PID={runnerPid}\0");
            var found = new List<string>();
            foreach (var dir in Directory.GetDirectories("/proc"))
            {
                if (!int.TryParse(Path.GetFileName(dir), out var pid))
                {
                    continue;
                }

                try
                {
                    if (JobTestRun.IsAlive(pid) && File.ReadAllBytes(Path.Combine(dir, "environ")).AsSpan().IndexOf(marker) >= 0)
                    {
                        found.Add($"{pid}: {File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' ')}");
                    }
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    // The process ended while we looked: it is no leak.
                }
            }

            return found;
        }
    }
}
