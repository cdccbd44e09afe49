using Spindle.Jobs;

namespace Spindle.Tests.Jobs;

/// <summary>
/// --plus replacement strings. Expected outputs are GNU parallel's: from man parallel_examples, from the comments beside
/// their definitions in GNU parallel's source, and as GNU parallel 20221122 prints them.
/// </summary>
public sealed class PlusTests
{
    private static Task<string> Plus(string command, params string[] values) =>
        JobTestRun.OutputOf(new JobRunOptions { Command = [command], Inputs = [JobInputSource.FromValues(values)], Jobs = "2", KeepOrder = true, Plus = true });

    [Theory(Timeout = TestWait.Hard)]
    // man parallel_examples: "EXAMPLE: Removing strings from the argument".
    [InlineData("echo {..}", "foo.tar.gz", "foo\n")]
    [InlineData("echo {%_demo}", "mycode_demo keep_demo_here", "mycode\nkeep_demo_here\n")]
    [InlineData("echo {#demo_}", "demo_mycode keep_demo_here", "mycode\nkeep_demo_here\n")]
    [InlineData("echo {/demo_/}", "demo_mycode remove_demo_here", "mycode\nremove_here\n")]
    // GNU parallel's source: echo {#z.*z.} ::: z.z.z.foo => z.foo; {##z.*z.} => foo; {%.z.*z} ::: foo.z.z.z => foo.z; {%%.z.*z} => foo.
    [InlineData("echo {#z.*z.} {##z.*z.}", "z.z.z.foo", "z.foo foo\n")]
    [InlineData("echo {%.z.*z} {%%.z.*z}", "foo.z.z.z", "foo.z foo\n")]
    // {} = {+/}/{/} = {.}.{+.} = {..}.{+..} = {...}.{+...}
    [InlineData("echo {+/} {+.} {+..} {+...} {..} {...} {/..} {/...}", "a/bab.c.d.e", "a e d.e c.d.e a/bab.c a/bab bab.c bab\n")]
    [InlineData("echo {+/} {+.} {..} {/..}", "plain", "  plain plain\n")]
    [InlineData("echo {/a/X} {//a/X} {/#a/X} {/%a/X}", "a/bab.c.d.e", "X/bab.c.d.e X/bXb.c.d.e X/bab.c.d.e a/bab.c.d.e\n")]
    [InlineData("echo {^a} {^^a} {,A} {,,A}", "a/bAb", "A/bAb A/bAb a/bAb a/bab\n")]
    // Bash's ${a:-x} (Perl's ||=, so "0" counts as empty too), ${a:2}, ${a:1:2}.
    [InlineData("echo {:-E}/{:2}/{:1:2}", "abcdef 0", "abcdef/cdef/bc\nE//\n")]
    public async Task PlusReplacementStrings_RenderAsGnuParallels(string command, string values, string expected) =>
        Assert.Equal(expected, await Plus(command, values.Split(' ')));

    [Fact(Timeout = TestWait.Hard)]
    public async Task PlusStrings_FollowAPosition()
    {
        // GNU parallel 20221122: parallel --plus echo {2%.gz} {1..} {2:1} {-1^b} ::: a.x.y ::: b.gz
        var output = await JobTestRun.OutputOf(new JobRunOptions
        {
            Command = ["echo {2%.gz} {1..} {2:1} {-1^b}"],
            Inputs = [JobInputSource.FromValues(["a.x.y"]), JobInputSource.FromValues(["b.gz"])],
            Plus = true,
        });
        Assert.Equal("b a .gz B.gz\n", output);
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task TotalJobsAndZeroPadding_CountEveryInput()
    {
        // {##} the number of jobs, {0#} the job number padded to its width, {0%} the slot padded to the slot count's.
        var values = Enumerable.Range(1, 12).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        var output = await Plus("echo {0#}/{##} {0%}", values);
        var lines = output.TrimEnd('\n').Split('\n');
        Assert.Equal(12, lines.Length);
        Assert.StartsWith("01/12 ", lines[0], StringComparison.Ordinal);
        Assert.StartsWith("12/12 ", lines[11], StringComparison.Ordinal);
        Assert.All(lines, line => Assert.Matches(@"^\d\d/12 [12]$", line));
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task WithoutPlus_TheStringsStayLiteral()
    {
        var output = await JobTestRun.OutputOf(new JobRunOptions { Command = ["echo", "{..}", "{##}", "{%x}"], Inputs = [JobInputSource.FromValues(["a.b.c"])] });
        // None of them is a replacement string without --plus, so the argument is appended.
        Assert.Equal("{..} {##} {%x} a.b.c\n", output);
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task Plus_OnTheCommandLine_AndInDryRun()
    {
        var (status, stdout, _) = await ToolProcess.RunAsync(["run", "--plus", "--dry-run", "-k", "tar -C {..} -xf {}", ":::", "foo.tar.gz"]);
        Assert.Equal((0, "tar -C foo -xf foo.tar.gz\n"), (status, stdout));
    }

    [Theory]
    [InlineData("a*b+c", "a*?b+?c")]
    [InlineData("[a*]x*?", "[a*]x*?")]
    [InlineData(@"\*x{2}", @"\*x{2}?")]
    public void Ungreedy_IsGnuParallelsMakeRegexpUngreedy(string regexp, string expected) =>
        Assert.Equal(expected, PlusReplacement.Ungreedy(regexp));
}
