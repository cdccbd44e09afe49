using Spindle.Jobs;

namespace Spindle.Tests.Jobs;

/// <summary>
/// -S/--sshlogin and its companions against a real sshd on 127.0.0.1 (<see cref="SshServer"/>), with the real ssh and
/// rsync, through the tool as a user runs it. Expected outputs follow GNU parallel's man page. The "remote" computer is
/// this one, so each test gives remote jobs a work dir of their own (--workdir) apart from the local folder.
/// </summary>
public sealed class RemoteTests : IClassFixture<SshServer>, IDisposable
{
    private readonly SshServer _server;
    private readonly JobTestRun _local = new();
    private readonly JobTestRun _remote = new();

    public RemoteTests(SshServer server) => _server = server;

    // Each remote job is several ssh connections (transfer, job, return, cleanup): on a busy machine that takes a while,
    // so a run gets most of the test's hard timeout.
    private Task<(int Status, string Stdout, string Stderr)> Spindle(params string[] args) => ToolProcess.RunAsync(["run", .. args], _local.Dir, within: TimeSpan.FromSeconds(50));

    [Fact(Timeout = TestWait.Hard)]
    public async Task SshLogin_RunsEachJobOverSsh_InTheLoginDir_WithParallelSeq()
    {
        var (status, stdout, stderr) = await Spindle("-k", "--tag", "--ssh", _server.SshWithPort, "-S", _server.Login, "echo $PARALLEL_SEQ {}; pwd", ":::", "a", "b");
        Assert.True(status == 0, stderr);
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        Assert.Equal($"a\t1 a\na\t{home}\nb\t2 b\nb\t{home}\n", stdout);
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task JobLog_NamesTheSshLoginInItsHostColumn_AsGnuParallelDoes()
    {
        var (status, _, stderr) = await Spindle("--joblog", "jobs.tsv", "--ssh", _server.SshWithPort, "-S", _server.Login, "true", ":::", "a");
        Assert.True(status == 0, stderr);
        var line = File.ReadAllLines(_local.PathOf("jobs.tsv"))[1].Split('\t');
        Assert.Equal(("1", _server.Login, "0", "true a"), (line[0], line[1], line[6], line[8]));
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task SshLogins_AreLibraryOptions_ForACSharpScript()
    {
        var output = await JobTestRun.OutputOf(new JobRunOptions
        {
            Command = ["echo {} $PARALLEL_SSHLOGIN"],
            Inputs = [JobInputSource.FromValues(["a", "b"])],
            SshLogins = [$"2/{_server.Login}"],
            Ssh = _server.SshWithPort,
            KeepOrder = true,
        });
        Assert.Equal($"a {_server.Login}\nb {_server.Login}\n", output);
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task SshLogin_InGnusFullForm_SshCommandAndPortBeforeTheHost_AndTheRemoteExitStatus()
    {
        // "ssh -p 2222 server.example.net" as in man parallel's --sshloginfile example.
        var (status, stdout, _) = await Spindle("-k", "-S", _server.FullLogin, "echo {}; exit {}", ":::", "0", "3");
        Assert.Equal("0\n3\n", stdout);
        Assert.Equal(1, status);
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task TransferFile_SendsTheFileBeforeTheJob_RelativeToTheWorkDir()
    {
        // man parallel: echo foo/bar.txt | parallel --transferfile {} --sshlogin server wc
        Directory.CreateDirectory(_local.PathOf("foo"));
        File.WriteAllText(_local.PathOf("foo/bar.txt"), "one\ntwo\n");
        var (status, stdout, stderr) = await Spindle("--ssh", _server.SshWithPort, "-S", _server.Login, "--wd", _remote.Dir, "--transferfile", "{}", "wc", "-l", ":::", "foo/bar.txt");
        Assert.True(status == 0, stderr);
        Assert.Equal("2 foo/bar.txt\n", stdout);
        Assert.Equal("one\ntwo\n", File.ReadAllText(_remote.PathOf("foo/bar.txt")));
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task PipePart_ChunksReachTheRemoteJobsStdin_EvenAfterATransfer()
    {
        File.WriteAllText(_local.PathOf("t.txt"), "x\n");
        File.WriteAllText(_local.PathOf("in"), "1\n2\n3\n");
        var (status, stdout, stderr) = await ToolProcess.RunAsync(
            ["run", "--pipepart", "-a", "in", "--ssh", _server.SshWithPort, "-S", _server.Login, "--wd", _remote.Dir, "--tf", "t.txt", "wc -l; cat t.txt"],
            _local.Dir,
            within: TimeSpan.FromSeconds(50));
        Assert.True(status == 0, stderr);
        Assert.Equal("3\nx\n", stdout);
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task Return_FetchesTheResult_AndCleanupRemovesBothFromTheRemote()
    {
        // man parallel (--cleanup): --transferfile {} --return {.}.bz2 --cleanup "zcat {} | bzip -9 >{.}.bz2", with cat.
        Directory.CreateDirectory(_local.PathOf("log"));
        File.WriteAllText(_local.PathOf("log/a.txt"), "alpha\n");
        File.WriteAllText(_local.PathOf("log/b.txt"), "beta\n");
        var (status, _, stderr) = await Spindle("--ssh", _server.SshWithPort, "-S", _server.Login, "--wd", _remote.Dir, "--transferfile", "{}", "--return", "{.}.out", "--cleanup", "tr a-z A-Z < {} > {.}.out", ":::", "log/a.txt", "log/b.txt");
        Assert.True(status == 0, stderr);
        Assert.Equal("ALPHA\n", File.ReadAllText(_local.PathOf("log/a.out")));
        Assert.Equal("BETA\n", File.ReadAllText(_local.PathOf("log/b.out")));
        // "Directories on the remote computer containing the file will be removed if they are empty."
        Assert.False(Directory.Exists(_remote.PathOf("log")), "--cleanup left log/ in the remote work dir.");
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task Trc_WithSlashDotSlash_ReturnsUnderTheLocalPrefix()
    {
        // man parallel (--return): parallel -S server --trc out/./{}.out touch {}.out ::: in/file
        // "will transfer the file in/file.out from the computer server.example.com to the files out/in/file.out".
        Directory.CreateDirectory(_local.PathOf("in"));
        File.WriteAllText(_local.PathOf("in/file"), "x");
        var (status, _, stderr) = await Spindle("--ssh", _server.SshWithPort, "-S", _server.Login, "--wd", _remote.Dir, "--trc", "out/./{}.out", "touch", "{}.out", ":::", "in/file");
        Assert.True(status == 0, stderr);
        Assert.True(File.Exists(_local.PathOf("out/in/file.out")));
        Assert.False(File.Exists(_remote.PathOf("in/file.out")) || File.Exists(_remote.PathOf("in/file")), "--trc left files in the remote work dir.");
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task BaseFile_IsThereBeforeTheFirstJob_AndCleanupRemovesItAtTheEnd()
    {
        File.WriteAllText(_local.PathOf("base.sh"), "echo base says $1\n");
        var (status, stdout, stderr) = await Spindle("-k", "--ssh", _server.SshWithPort, "-S", _server.Login, "--wd", _remote.Dir, "--basefile", "base.sh", "--cleanup", "sh base.sh {}", ":::", "a", "b");
        Assert.True(status == 0, stderr);
        Assert.Equal("base says a\nbase says b\n", stdout);
        Assert.False(File.Exists(_remote.PathOf("base.sh")), "--cleanup left the basefile on the remote.");
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task NonAll_RunsTheCommandOncePerComputer_TaggedWithTheSshLogin_CountingFailures()
    {
        // man parallel: parallel --nonall -S host1,host2 uptime; --tag prefixes each computer's lines with it.
        var (status, stdout, _) = await Spindle("-k", "--tag", "--nonall", "--ssh", _server.SshWithPort, "-S", $"{_server.Login},localhost", "echo hi; exit 2");
        Assert.Equal($"{_server.Login}\thi\nlocalhost\thi\n", stdout);
        Assert.Equal(2, status);
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task OnAll_RunsEveryJobOnEveryComputer_InOrder_GroupedPerComputer()
    {
        var (status, stdout, stderr) = await Spindle("-k", "--onall", "--ssh", _server.SshWithPort, "-S", $"{_server.Login},localhost", "echo", ":::", "a", "b", "c");
        Assert.True(status == 0, stderr);
        Assert.Equal("a\nb\nc\na\nb\nc\n", stdout);
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task SshLoginFile_WithCpuCountsAndTheLocalComputer_RunsJobsOnBothAtOnce()
    {
        // --slf lines as man parallel shows them: comments, ncpus/ prefixes, ":" for this computer. -j100% gives each one
        // job at a time (1 cpu each): two jobs that wait for each other can only finish if they run on both at once.
        File.WriteAllText(_local.PathOf("hosts"), $"# two computers\n1/{_server.FullLogin}\n\n1/:\n");
        var job = $"cd {_remote.Dir} && touch started.{{}} && until [ -e started.a ] && [ -e started.b ]; do sleep 0.02; done; echo ${{PARALLEL_SSHLOGIN:-local}}";
        var (status, stdout, stderr) = await Spindle("--slf", "hosts", job, ":::", "a", "b");
        Assert.True(status == 0, stderr);
        Assert.Equal(["local", _server.FullLogin], stdout.TrimEnd('\n').Split('\n').Order(StringComparer.Ordinal));
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task WorkDirDots_IsAFreshFolderPerJob_RemovedByCleanup()
    {
        // man parallel: "The special mydir value ... will create working dirs under ~/.parallel/tmp/. If --cleanup is given these dirs will be removed."
        var (status, stdout, stderr) = await Spindle("--ssh", _server.SshWithPort, "-S", _server.Login, "--wd", "...", "--cleanup", "pwd", ":::", "a");
        Assert.True(status == 0, stderr);
        var dir = stdout.TrimEnd('\n');
        Assert.StartsWith(Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".parallel", "tmp", "spindle-"), dir, StringComparison.Ordinal);
        Assert.False(Directory.Exists(dir), "--cleanup left the --wd ... folder.");
    }

    [Theory(Timeout = TestWait.Hard)]
    [InlineData("-S @group/host echo ::: a", "names a host group, which is not supported")]
    [InlineData("-S 0/host echo ::: a", "gives 0 cpus")]
    [InlineData("--nonall echo", "OnAll and NonAll need sshlogins")]
    [InlineData("--slf no-such-file echo ::: a", "The sshlogin file")]
    [InlineData("-j 50% -S nohost.invalid echo ::: a", "could not be reached to count its cpus")]
    public async Task BadSshInput_OneLineNamingIt_Exit255_NothingRuns(string words, string message)
    {
        var (status, stdout, stderr) = await Spindle(words.Split(' '));
        Assert.Equal(255, status);
        Assert.Contains(message, stderr, StringComparison.Ordinal);
        Assert.Single(stderr.TrimEnd('\n').Split('\n'));
        Assert.Equal("", stdout);
    }

    public void Dispose()
    {
        _local.Dispose();
        _remote.Dispose();
    }
}
