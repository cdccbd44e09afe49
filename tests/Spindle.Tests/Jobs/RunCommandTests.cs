using System.Diagnostics;
using System.Text;
using Spectre.Console.Testing;
using Spindle.Cli.Commands;

namespace Spindle.Tests.Jobs;

/// <summary><c>spindle run</c> as a user types it: GNU parallel's grammar, bad input, exit statuses and signals.</summary>
public sealed class RunCommandTests
{
    [Fact(Timeout = TestWait.Hard)]
    public async Task Run_GnuGrammar_OptionsCommandAndSources()
    {
        var (status, stdout, _) = await RunAsync(["-j2", "-k", "--tag", "echo", "-n", "{2}{1}", ":::", "a", "b", ":::", "1"]);
        Assert.Equal(0, status);
        Assert.Equal("a 1\t1a" + "b 1\t1b", stdout);
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task Run_AttachedAndEqualsValues_AreAccepted()
    {
        var (status, stdout, _) = await RunAsync(["-j1", "--halt=now,fail=1", "exit {}", ":::", "0", "5", "0"]);
        Assert.Equal(5, status);
        Assert.Equal("", stdout);
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task Run_StdinAndLinkedSources()
    {
        var (_, fromStdin, _) = await RunAsync(["-k", "echo"], "x\ny\n");
        Assert.Equal("x\ny\n", fromStdin);
        var (_, linked, _) = await RunAsync(["-k", "echo", ":::", "a", "b", "c", ":::+", "1", "2"]);
        Assert.Equal("a 1\nb 2\n", linked);
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task Run_SeveralArgFiles_AreSourcesInTheOrderGiven_BeforeThoseAfterTheCommand()
    {
        var dir = Path.Combine(Path.GetTempPath(), "spindle-argfiles-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            var foo = Path.Combine(dir, "foo");
            var bar = Path.Combine(dir, "bar");
            await File.WriteAllTextAsync(foo, "1\n2\n");
            await File.WriteAllTextAsync(bar, "a\nb\n");

            // As GNU parallel's man page shows for -a foo -a bar: 1 a, 1 b, 2 a, 2 b.
            var (status, stdout, _) = await RunAsync(["-k", "-a", foo, "-a", bar, "echo", ":::", "x"]);
            Assert.Equal(0, status);
            Assert.Equal("1 a x\n1 b x\n2 a x\n2 b x\n", stdout);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task Run_FailedJobs_ExitStatusIsTheirCount()
    {
        var (status, _, _) = await RunAsync(["exit {}", ":::", "1", "2", "0"]);
        Assert.Equal(2, status);
    }

    [Theory(Timeout = TestWait.Hard)]
    [InlineData("unknown option '--frobnicate'", "--frobnicate", "touch {}", ":::", "MARKER")]
    [InlineData("missing command", "-j2", ":::", "MARKER")]
    [InlineData("cannot be read", "touch {}", "::::", "/no/such/file", ":::", "MARKER")]
    [InlineData("Halt must be", "--halt", "sometimes", "touch {}", ":::", "MARKER")]
    [InlineData("Jobs must be", "-j", "lots", "touch {}", ":::", "MARKER")]
    [InlineData("needs a value", "--joblog")]
    public async Task Run_BadInput_OneLineWithUsageHint_Exit255_NoJobStarted(string problem, params string[] args)
    {
        var dir = Path.Combine(Path.GetTempPath(), "spindle-bad-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            var marker = Path.Combine(dir, "ran");
            var (status, stdout, stderr) = await RunAsync(args.Select(a => a == "MARKER" ? marker : a).ToArray());
            Assert.Equal(255, status);
            Assert.Equal("", stdout);
            Assert.Contains(problem, stderr, StringComparison.Ordinal);
            Assert.Contains("spindle run --help", stderr, StringComparison.Ordinal);
            Assert.Single(stderr.TrimEnd('\n').Split('\n'));
            Assert.False(File.Exists(marker));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Theory(Timeout = TestWait.Hard)]
    [InlineData("-kj1")]
    [InlineData("-j1k")]
    [InlineData("-kP1")]
    [InlineData("-k", "-j1")]
    [InlineData("-kj", "1")]
    public async Task Run_BundledShortOptions_ReadAsGetoptBundles(params string[] options)
    {
        // `parallel -kj1 echo ::: c b a` prints c, b, a in input order.
        var (status, stdout, stderr) = await RunAsync([.. options, "echo", ":::", "c", "b", "a"]);
        Assert.Equal((0, ""), (status, stderr));
        Assert.Equal("c\nb\na\n", stdout);
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task Run_BundleWithValueLast_TakesTheRestAsTheValue()
    {
        // -kC, : --colsep is ',' (the rest of the word), -k a flag before it.
        var (status, stdout, _) = await RunAsync(["-kC,", "echo", "{2}{1}", ":::", "a,1", "b,2"]);
        Assert.Equal(0, status);
        Assert.Equal("1a\n2b\n", stdout);
    }

    [Theory(Timeout = TestWait.Hard)]
    [InlineData("a-b\nc-\n", "-kN2", "echo", "{1}-{2}")]
    [InlineData("a-b\nc-\n", "--max-replace-args=2", "-k", "echo", "{1}-{2}")]
    [InlineData("a b\nc\n", "-k", "-n", "2", "echo")]
    [InlineData("a b\nc\n", "-k", "-L2", "echo")]
    [InlineData("a\nb\nc\n", "-k", "-l", "echo")]
    [InlineData("a b\nc\n", "-kl", "2", "echo")]
    [InlineData("pica.jpg picb.jpg\npicc.jpg\n", "-j2", "-kX", "echo", "pic{}.jpg")]
    [InlineData("pica b.jpg\npicc.jpg\n", "-j2", "-km", "echo", "pic{}.jpg")]
    [InlineData("a b c\n", "-j2", "--xargs", "echo")]
    [InlineData("a\nb\nc\n", "-j2", "-k", "--xargs", "-s", "7", "echo")]
    public async Task Run_SeveralInputsPerJob_AsGnuParallelPrintsThem(string expected, params string[] args)
    {
        var (status, stdout, stderr) = await RunAsync([.. args, ":::", "a", "b", "c"]);
        Assert.Equal((0, ""), (status, stderr));
        Assert.Equal(expected, stdout);
    }

    [Theory(Timeout = TestWait.Hard)]
    [InlineData("1-x\n1-y\n2-x\n2-y\n", "-k", "--header", ":", "echo", "{a}-{b}", ":::", "a", "1", "2", ":::", "b", "x", "y")]
    [InlineData("a 1\nb 2\nc 1\n", "-k", "--xapply", "echo", ":::", "a", "b", "c", ":::", "1", "2")]
    [InlineData("a 1\nb 2\nc 1\n", "-k", "--link", "echo", ":::", "a", "b", "c", ":::", "1", "2")]
    [InlineData("a-X\thi a\nb-X\thi b\n", "-k", "--tagstring", "{}-X", "echo", "hi", ":::", "a", "b")]
    [InlineData("x\n", "--shuf", "echo", ":::", "x")]
    [InlineData("x\n", "--memfree", "1k", "--load", "100000%", "echo", ":::", "x")]
    [InlineData("echo x\n", "--noswap", "--dry-run", "echo", ":::", "x")]
    public async Task Run_NamingOptions_AsGnuParallelPrintsThem(string expected, params string[] args)
    {
        var (status, stdout, stderr) = await RunAsync(args);
        Assert.Equal((0, ""), (status, stderr));
        Assert.Equal(expected, stdout);
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task Run_Pipe_CutsStdinIntoTheJobsStdin()
    {
        // seq 1 10 | parallel -k --pipe -N3 --recend '\n' 'tr "\n" " "; echo'
        var (status, stdout, stderr) = await RunAsync(["-kj2", "--pipe", "-N3", "--recend", "\\n", "tr '\\n' ' '; echo"], rawInput: "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n");
        Assert.Equal((0, ""), (status, stderr));
        Assert.Equal("1 2 3 \n4 5 6 \n7 8 9 \n10 \n", stdout);
    }

    [Theory(Timeout = TestWait.Hard)]
    [InlineData("unknown option '-z' in '-kz'", "-kz", "touch {}", ":::", "MARKER")]
    [InlineData("needs a value", "-kj")]
    [InlineData("--max-args must be a whole number", "-n", "two", "touch {}", ":::", "MARKER")]
    [InlineData("MaxChars must be between", "-s", "0", "touch {}", ":::", "MARKER")]
    [InlineData("--pipepart needs the file", "--pipepart", "touch", "MARKER")]
    [InlineData("--memfree must be a size", "--memfree", "lots", "touch {}", ":::", "MARKER")]
    [InlineData("Load must be", "--load", "-3", "touch {}", ":::", "MARKER")]
    [InlineData("--block must be a size", "--pipe", "--block", "big", "touch", "MARKER")]
    public async Task Run_BadBundle_OneLine_Exit255_NoJobStarted(string problem, params string[] args)
    {
        var marker = Path.Combine(Path.GetTempPath(), "spindle-bundle-" + Guid.NewGuid().ToString("N"));
        var (status, stdout, stderr) = await RunAsync(args.Select(a => a == "MARKER" ? marker : a).ToArray());
        Assert.Equal((255, ""), (status, stdout));
        Assert.Contains(problem, stderr, StringComparison.Ordinal);
        Assert.Single(stderr.TrimEnd('\n').Split('\n'));
        Assert.False(File.Exists(marker));
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task Run_ProgressOffTerminal_PrintsGnuStyleSummaryOnStderr()
    {
        var console = new TestConsole();
        var (status, _, _) = await RunAsync(["--eta", "true", ":::", "a", "b"], console: console);
        Assert.Equal(0, status);
        Assert.Contains("Left: 0", console.Output, StringComparison.Ordinal);
        Assert.Contains("local:0/2/100%", console.Output, StringComparison.Ordinal);
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task SpindleCli_RunIsRegistered()
    {
        var console = new TestConsole();
        var status = await Spindle.Cli.SpindleCli.RunAsync(["run", "--dry-run", "echo", ":::", "@not-a-response-file"], console);
        Assert.Equal(0, status);
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task RealProcess_Sigterm_KillsJobTreesAndExits255()
    {
        var dir = Path.Combine(Path.GetTempPath(), "spindle-sig-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        var pidFile = Path.Combine(dir, "pid");
        var cli = Path.Combine(AppContext.BaseDirectory, "Spindle.Cli.dll");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { cli, "run", $"sleep 60 & echo $! > {pidFile}; wait # {{}}", ":::", "x" })
        {
            start.ArgumentList.Add(arg);
        }

        using var spindle = Process.Start(start)!;
        try
        {
            await TestWait.UntilAsync(() => File.Exists(pidFile) && File.ReadAllText(pidFile).EndsWith('\n'), "the job has started its grandchild");
            var grandchild = int.Parse(File.ReadAllText(pidFile).Trim());
            Assert.True(JobTestRun.IsAlive(grandchild));
            Assert.Equal(0, Kill(spindle.Id, 15));
            await spindle.WaitForExitAsync().WaitAsync(TestWait.Generous);
            Assert.Equal(255, spindle.ExitCode);
            await TestWait.UntilAsync(() => !JobTestRun.IsAlive(grandchild), "the job's grandchild is gone");
        }
        finally
        {
            if (!spindle.HasExited)
            {
                spindle.Kill(entireProcessTree: true);
            }

            Directory.Delete(dir, recursive: true);
        }
    }

    [Theory(Timeout = TestWait.Hard)]
    [InlineData("--block", "1k", "277\n250\n250\n223\n")]
    [InlineData("--recend", "0", "1971\n1922\n")]
    public async Task RealProcess_PipeFromAPipe_CutsAsGnuParallel(string option, string value, string expected)
    {
        // seq 1 1000 | parallel -k --pipe --block 1k wc -l ; seq 1 1000 | parallel -k --pipe --block 2k --recend 0 wc -c
        // Stdin is a real pipe here, which `spindle run` splices into the jobs' inputs rather than reading.
        var cli = Path.Combine(AppContext.BaseDirectory, "Spindle.Cli.dll");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        string[] args = option == "--block" ? ["-k", "--pipe", option, value, "wc -l"] : ["-k", "--pipe", "--block", "2k", option, value, "wc -c"];
        foreach (var arg in (string[])[cli, "run", .. args])
        {
            start.ArgumentList.Add(arg);
        }

        using var spindle = Process.Start(start)!;
        try
        {
            await spindle.StandardInput.WriteAsync(string.Concat(Enumerable.Range(1, 1000).Select(i => $"{i}\n")));
            spindle.StandardInput.Close();
            var stdout = await spindle.StandardOutput.ReadToEndAsync();
            await spindle.WaitForExitAsync().WaitAsync(TestWait.Generous);
            Assert.Equal((0, expected), (spindle.ExitCode, stdout));
        }
        finally
        {
            if (!spindle.HasExited)
            {
                spindle.Kill(entireProcessTree: true);
            }
        }
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill")]
    private static extern int Kill(int pid, int signal);

    private static async Task<(int Status, string Stdout, string Stderr)> RunAsync(string[] args, string stdin = "", TestConsole? console = null, string rawInput = "")
    {
        using var stdout = new MemoryStream();
        using var stderr = new MemoryStream();
        var testConsole = console ?? new TestConsole();
        var streams = new RunStreams(stdout, stderr, new StringReader(stdin), testConsole, new MemoryStream(Encoding.UTF8.GetBytes(rawInput)));
        var status = await Task.Run(() => RunCommand.Run(args, testConsole, streams, CancellationToken.None));
        return (status, Encoding.UTF8.GetString(stdout.ToArray()), Encoding.UTF8.GetString(stderr.ToArray()));
    }
}
