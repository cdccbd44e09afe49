using System.Diagnostics;
using Spindle.Jobs;

namespace Spindle.Tests.Jobs;

/// <summary>
/// <c>spindle sem</c> (<c>spindle run --semaphore</c>), GNU parallel's counting semaphore: separate processes of the tool,
/// started as a shell script starts them, share one count. Jobs signal the test with marker files and wait for the
/// test's go files, so every assertion rests on what the processes did, not on how long they took.
/// </summary>
public sealed class SemaphoreTests : IDisposable
{
    private readonly JobTestRun _run = new();

    private string Home => _run.PathOf("home");

    // A job that lets go of the output it inherited (so that reading the sem's output to its end does not wait for
    // the job), marks itself running, records how many marked jobs it sees (itself included) and whether job A had
    // finished, waits for its go file (at most about a minute, so that a failed test leaves nothing behind for long),
    // then unmarks itself and marks itself done, in that order, before it exits and frees its slot.
    private string Job(string name) =>
        $"exec >/dev/null 2>&1; cd {_run.Dir} && touch run.{name} && ls | grep -c '^run\\.' >> counts && {{ [ -e done.A ] && echo yes || echo no; }} > a-done-when.{name} && "
        + $"i=0; until [ -e go.{name} ] || [ $i -ge 3000 ]; do sleep 0.02; i=$((i+1)); done; rm run.{name}; touch done.{name}";

    [Fact(Timeout = TestWait.Hard)]
    public async Task Sem_J2_ThirdInvocationWaitsForASlot_AndNeverMoreThanTwoRun()
    {
        // GNU sem's default: in the background, so each invocation returns (status 0) as soon as its job has started.
        Assert.Equal(0, (await Sem("-j2", "--id", "t", Job("A"))).Status);
        Assert.Equal(0, (await Sem("-j2", "--id", "t", Job("B"))).Status);
        await TestWait.UntilAsync(() => File.Exists(_run.PathOf("run.A")) && File.Exists(_run.PathOf("run.B")), "jobs A and B run");

        // Both slots are held (A and B wait for their go files): a third that gives up after a second never runs.
        var gaveUp = await Sem("-j2", "--id", "t", "--st", "-1", Job("X"));
        Assert.Equal(1, gaveUp.Status);
        Assert.Contains("Semaphore timed out. Exiting.", gaveUp.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(_run.PathOf("a-done-when.X")));

        // Another id counts on its own.
        Assert.Equal(0, (await Sem("-j2", "--id", "other", "--fg", "true")).Status);

        var third = Start(Args("-j2", "--id", "t", Job("C")), redirect: false);
        File.WriteAllText(_run.PathOf("go.A"), "");
        await third.WaitForExitAsync().WaitAsync(TestWait.Generous);
        Assert.Equal(0, third.ExitCode);
        await TestWait.UntilAsync(() => File.Exists(_run.PathOf("a-done-when.C")), "job C runs");
        Assert.Equal("yes\n", File.ReadAllText(_run.PathOf("a-done-when.C")));

        File.WriteAllText(_run.PathOf("go.B"), "");
        File.WriteAllText(_run.PathOf("go.C"), "");
        Assert.Equal(0, (await Sem("--id", "t", "--wait")).Status);
        Assert.True(File.Exists(_run.PathOf("done.B")) && File.Exists(_run.PathOf("done.C")));
        var counts = File.ReadAllLines(_run.PathOf("counts")).Select(int.Parse).ToArray();
        Assert.Equal(3, counts.Length);
        Assert.All(counts, count => Assert.InRange(count, 1, 2));
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task SemWait_ReturnsOnlyAfterEveryJobOfItsIdHasEnded()
    {
        Assert.Equal(0, (await Sem("-j3", "--id", "w", Job("A"))).Status);
        Assert.Equal(0, (await Sem("-j3", "--id", "w", Job("B"))).Status);
        var wait = Start(Args("--id", "w", "--wait"), redirect: false);
        // A whole invocation started after the --wait has come and gone: the --wait has had its time to look.
        Assert.Equal(0, (await Sem("--id", "w2", "--fg", "true")).Status);
        Assert.False(wait.HasExited, "sem --wait returned while both jobs still ran.");

        File.WriteAllText(_run.PathOf("go.A"), "");
        File.WriteAllText(_run.PathOf("go.B"), "");
        await wait.WaitForExitAsync().WaitAsync(TestWait.Generous);
        Assert.Equal(0, wait.ExitCode);
        Assert.True(File.Exists(_run.PathOf("done.A")) && File.Exists(_run.PathOf("done.B")), "sem --wait returned before the jobs had ended.");
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task SemFg_RunsInTheForeground_WithTheJobsOutputAndExitStatus()
    {
        var echo = await Sem("--fg", "echo", "hello");
        Assert.Equal((0, "hello\n"), (echo.Status, echo.Stdout));
        // GNU parallel's semaphore exit status: the job's, or 128 + the signal that killed it.
        Assert.Equal(3, (await Sem("--fg", "exit 3")).Status);
        Assert.Equal(137, (await Sem("--fg", "kill -9 $$")).Status);
        // `spindle run --semaphore` is the same command.
        var run = await Spindle(["run", "--semaphore", "--fg", "echo", "via", "run"]);
        Assert.Equal((0, "via run\n"), (run.Status, run.Stdout));
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task Sem_WithoutId_UsesGnusDefaultName_TheTerminalOrNotATty()
    {
        Assert.Equal("id-not20a20tty", JobSemaphore.FolderName("not a tty"));
        Assert.Equal("id-2fdev2fpts2f3", JobSemaphore.FolderName("/dev/pts/3"));
        Assert.Equal(0, (await Sem("--fg", "true")).Status);
        Assert.True(Directory.Exists(Path.Combine(Home, "semaphores", "id-not20a20tty")));
    }

    [Theory(Timeout = TestWait.Hard)]
    [InlineData("--st 0 true", "--semaphoretimeout must be a number of seconds other than 0")]
    [InlineData("--fg echo ::: a b", "Semaphore runs its command once and takes no input sources")]
    [InlineData("--fg", "missing command")]
    public async Task Sem_BadInput_OneLineExit255_NothingRuns(string words, string message)
    {
        var result = await Sem(words.Split(' '));
        Assert.Equal(255, result.Status);
        Assert.Contains(message, result.Stderr, StringComparison.Ordinal);
        Assert.Single(result.Stderr.TrimEnd('\n').Split('\n'));
        Assert.Equal("", result.Stdout);
    }

    [Fact]
    public void SemaphoreOptions_AreLibraryMembers_ValidatedWithTheRest()
    {
        var options = new JobRunOptions { Command = ["true"], Semaphore = true, Inputs = [JobInputSource.FromValues(["a"])], SemaphoreTimeout = TimeSpan.Zero };
        var e = Assert.Throws<SpindleOptionsException>(() => JobRunner.Run(options));
        Assert.Equal(2, e.Problems.Count);
    }

    private static string[] Args(params string[] words) => ["sem", .. words];

    private Task<(int Status, string Stdout, string Stderr)> Sem(params string[] words) => Spindle(Args(words));

    private Task<(int Status, string Stdout, string Stderr)> Spindle(string[] args) => ToolProcess.RunAsync(args, environment: Environment());

    private Process Start(string[] args, bool redirect) => ToolProcess.Start(args, redirect, environment: Environment());

    private Dictionary<string, string> Environment() => new() { ["SPINDLE_HOME"] = Home };

    public void Dispose()
    {
        // Lets any job still waiting end now.
        foreach (var name in (string[])["A", "B", "C", "X"])
        {
            File.WriteAllText(_run.PathOf("go." + name), "");
        }

        _run.Dispose();
    }
}
