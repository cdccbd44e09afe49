using System.Text.RegularExpressions;
using Spindle.Jobs;

namespace Spindle.Tests.Jobs;

/// <summary>
/// Cases written from GNU parallel's documentation and checked against GNU parallel 20221122 (--dry-run), with
/// their expected outputs; GNU parallel itself is not needed to run them.
/// </summary>
public sealed class GnuParallelCompatibilityTests
{
    [Theory]
    [InlineData("abc", "abc")]
    [InlineData("a/b-c_d.e+f", "a/b-c_d.e+f")]
    [InlineData("", "''")]
    [InlineData("a b", "'a b'")]
    [InlineData("it's $HOME", "'it'\"'\"'s $HOME'")]
    [InlineData("'x'", "\"'\"'x'\"'\"")]
    [InlineData("$(rm -rf /)", "'$(rm -rf /)'")]
    [InlineData("a*", "'a*'")]
    public void Quote_LikeGnuParallel(string value, string expected) => Assert.Equal(expected, ShellQuote.Quote(value));

    [Theory]
    [InlineData("a/b.c/d.tar.gz", "a/b.c/d.tar", "d.tar.gz", "a/b.c", "d.tar")]
    [InlineData("x", "x", "x", ".", "x")]
    [InlineData("/r", "/r", "r", "/", "r")]
    [InlineData("a/b/", "a/b/", "", "a", "")]
    [InlineData("/", "/", "", "/", "")]
    [InlineData("dir.d/file", "dir.d/file", "file", "dir.d", "file")]
    [InlineData("a.", "a", "a.", ".", "a")]
    [InlineData(".bashrc", "", ".bashrc", ".", "")]
    [InlineData("a.b/c", "a.b/c", "c", "a.b", "c")]
    [InlineData("a.b.", "a.b", "a.b.", ".", "a.b")]
    [InlineData("x.tar\n", "x", "x.tar\n", ".", "x")]
    public void PathParts_MatchPerlSemantics(string value, string noExt, string basename, string dirname, string baseNoExt)
    {
        Assert.Equal(noExt, PathParts.WithoutExtension(value));
        Assert.Equal(basename, PathParts.Basename(value));
        Assert.Equal(dirname, PathParts.Dirname(value));
        Assert.Equal(baseNoExt, PathParts.BasenameWithoutExtension(value));
    }

    [Fact]
    public void Render_AllReplacementStrings_AsGnuParallelDryRun()
    {
        // parallel --dry-run echo {} {.} {/} {//} {/.} {#} {%} ::: a/b.c/d.tar.gz "it's $HOME"
        var template = new CommandTemplate(["echo", "{}", "{.}", "{/}", "{//}", "{/.}", "{#}", "{%}"], JobCommandMode.Shell);
        Assert.Equal("echo a/b.c/d.tar.gz a/b.c/d.tar d.tar.gz a/b.c d.tar 1 1", template.Render(["a/b.c/d.tar.gz"], 1, 1).Command);
        Assert.Equal("echo 'it'\"'\"'s $HOME' 'it'\"'\"'s $HOME' 'it'\"'\"'s $HOME' . 'it'\"'\"'s $HOME' 4 2", template.Render(["it's $HOME"], 4, 2).Command);
    }

    [Theory]
    [InlineData("{0}")]
    [InlineData("{-0}")]
    [InlineData("{-}")]
    [InlineData("{a}")]
    [InlineData("{ }")]
    [InlineData("{/./}")]
    [InlineData("{1..}")]
    [InlineData("{")]
    [InlineData("}")]
    [InlineData("x{1")]
    public void Render_NotAReplacementString_StaysLiteralAndArgumentsAreAppended(string word)
    {
        // parallel --dry-run echo '{0}' ::: a  →  echo {0} a (GNU parallel knows no {0}, so the word is literal)
        Assert.Equal($"echo {word} a", new CommandTemplate(["echo", word], JobCommandMode.Shell).Render(["a"], 1, 1).Command);
    }

    [Theory]
    [InlineData("{{}}", "{d/e.f.gz z}")]
    [InlineData("{{1}", "{d/e.f.gz")]
    [InlineData("{1//}{1/.}{1/}{1.}", "de.fe.f.gzd/e.f")]
    [InlineData("{-2}:{-1}", "d/e.f.gz:z")]
    [InlineData("{99999999999}{-99999999999}.", ".")]
    [InlineData("{#}{%}{}", "73d/e.f.gz z")]
    public void Render_ReplacementStringsInsideWords_AreFoundLikeGnuParallel(string word, string expected)
    {
        // The same matches as the regular expression this scanner replaced:
        // \{(?:(-?[1-9][0-9]*)(//|/\.|/|\.)?|(#|%)|(//|/\.|/|\.))?\}, found left to right, never overlapping.
        Assert.Equal(expected, new CommandTemplate([word], JobCommandMode.NoShell).Render(["d/e.f.gz", "z"], 7, 3).Argv![0]);
    }

    [Fact]
    public void Render_NoReplacementString_AppendsEachArgumentQuoted()
    {
        // parallel --dry-run echo ::: a ::: 'b c'  →  echo a 'b c'
        var template = new CommandTemplate(["echo"], JobCommandMode.Shell);
        Assert.Equal("echo a 'b c'", template.Render(["a", "b c"], 1, 1).Command);
    }

    [Fact]
    public void Render_OnlySeqReplacement_DoesNotAppend()
    {
        // parallel --dry-run echo {#} ::: a  →  echo 1
        Assert.Equal("echo 1", new CommandTemplate(["echo", "{#}"], JobCommandMode.Shell).Render(["a"], 1, 1).Command);
    }

    [Fact]
    public void Render_Positional_OutOfRangeIsEmptyAndNegativeCountsFromEnd()
    {
        // parallel --dry-run echo {3} {-1} ::: a ::: b  →  "echo  b"
        Assert.Equal("echo  b", new CommandTemplate(["echo", "{3}", "{-1}"], JobCommandMode.Shell).Render(["a", "b"], 1, 1).Command);
        // parallel --dry-run 'echo {2} {1.}' ::: a.x b.y :::+ 1 2 3  →  echo 1 a
        Assert.Equal("echo 1 a", new CommandTemplate(["echo {2} {1.}"], JobCommandMode.Shell).Render(["a.x", "1"], 1, 1).Command);
    }

    [Fact]
    public void Render_AllArgsInsideAWord_QuotesEachValue()
    {
        // parallel --dry-run echo {} x{}y ::: 'b c'  →  echo 'b c' x'b c'y
        Assert.Equal("echo 'b c' x'b c'y", new CommandTemplate(["echo", "{}", "x{}y"], JobCommandMode.Shell).Render(["b c"], 1, 1).Command);
        // parallel --dry-run 'echo "{}"' ::: 'a b'  →  echo "'a b'" (GNU quotes even inside the user's quotes)
        Assert.Equal("echo \"'a b'\"", new CommandTemplate(["echo \"{}\""], JobCommandMode.Shell).Render(["a b"], 1, 1).Command);
    }

    [Fact]
    public void Render_QuoteMode_QuotesEachWordAfterReplacing()
    {
        // parallel --dry-run -q echo '{} x' ::: 'a b'  →  echo 'a b x'
        Assert.Equal("echo 'a b x'", new CommandTemplate(["echo", "{} x"], JobCommandMode.QuoteCommand).Render(["a b"], 1, 1).Command);
    }

    [Fact]
    public void Render_NoShell_GivesArgvWithRawValues()
    {
        var launch = new CommandTemplate(["printf", "%s|", "{}", "{.}"], JobCommandMode.NoShell).Render(["a b.txt"], 1, 1);
        Assert.Equal(["printf", "%s|", "a b.txt", "a b"], launch.Argv!);
        var appended = new CommandTemplate(["echo"], JobCommandMode.NoShell).Render(["$HOME", "x y"], 1, 1);
        Assert.Equal(["echo", "$HOME", "x y"], appended.Argv!);
    }

    [Fact]
    public void Render_PlainCommandOnPath_IsExecedDirectly_ElseGoesToTheShell()
    {
        Assert.Equal(["true", "a"], new CommandTemplate(["true"], JobCommandMode.Shell).Render(["a"], 1, 1).Argv!);
        Assert.Null(new CommandTemplate(["true"], JobCommandMode.Shell).Render(["a b"], 1, 1).Argv);
        Assert.Null(new CommandTemplate(["echo"], JobCommandMode.Shell).Render(["a"], 1, 1).Argv);
        Assert.Null(new CommandTemplate(["X=1", "true"], JobCommandMode.Shell).Render(["a"], 1, 1).Argv);
        Assert.Null(new CommandTemplate(["no-such-program-xyz"], JobCommandMode.Shell).Render(["a"], 1, 1).Argv);
        Assert.Equal(["sleep", "0"], new CommandTemplate(["sleep 0 # {}"], JobCommandMode.Shell).Render(["a b"], 1, 1).Argv!);
    }

    [Fact]
    public void Combine_SeveralSources_GiveEveryCombinationLastFastest()
    {
        // parallel echo ::: a b ::: 1 2  →  a 1, a 2, b 1, b 2
        var jobs = InputCombiner.Combine([JobInputSource.FromValues(["a", "b"]), JobInputSource.FromValues(["1", "2"])], TextReader.Null, false, null);
        Assert.Equal(["a 1", "a 2", "b 1", "b 2"], jobs.Select(j => string.Join(' ', j)));
    }

    [Fact]
    public void Combine_LinkedSource_PairsAndStopsAtTheShorter()
    {
        // parallel echo ::: a b c :::+ 1 2  →  a 1, b 2
        var linked = InputCombiner.Combine([JobInputSource.FromValues(["a", "b", "c"]), JobInputSource.FromValues(["1", "2"], linkedToPrevious: true)], TextReader.Null, false, null);
        Assert.Equal(["a 1", "b 2"], linked.Select(j => string.Join(' ', j)));
        // parallel echo ::: a b :::+ 1 2 3 ::: x y  →  a 1 x, a 1 y, b 2 x, b 2 y
        var mixed = InputCombiner.Combine([JobInputSource.FromValues(["a", "b"]), JobInputSource.FromValues(["1", "2", "3"], true), JobInputSource.FromValues(["x", "y"])], TextReader.Null, false, null);
        Assert.Equal(["a 1 x", "a 1 y", "b 2 x", "b 2 y"], mixed.Select(j => string.Join(' ', j)));
    }

    [Fact]
    public void Combine_ColumnSeparator_SplitsIntoPositionals()
    {
        // printf 'a\tb\nc\td\n' | parallel --colsep '\t' echo {2} {1}  →  b a, d c
        var jobs = InputCombiner.Combine([], new StringReader("a\tb\nc\td\n"), false, new Regex("\t")).ToList();
        var template = new CommandTemplate(["echo", "{2}", "{1}"], JobCommandMode.Shell);
        Assert.Equal(["echo b a", "echo d c"], jobs.Select((j, i) => template.Render(j, i + 1, 1).Command));
    }

    [Fact]
    public void Combine_StdinLines_KeepEmptyLinesAsEmptyArguments()
    {
        // printf 'a\n\nb\n' | parallel echo  →  echo a, echo '', echo b
        var jobs = InputCombiner.Combine([], new StringReader("a\n\nb\n"), false, null);
        var template = new CommandTemplate(["echo"], JobCommandMode.Shell);
        Assert.Equal(["echo a", "echo ''", "echo b"], jobs.Select(j => template.Render(j, 1, 1).Command));
    }

    [Fact]
    public void Combine_NullSeparated_SplitsOnNul()
    {
        var jobs = InputCombiner.Combine([], new StringReader("a\0b c\0"), true, null);
        Assert.Equal(["a", "b c"], jobs.Select(j => j[0]));
    }

    [Theory]
    [InlineData("4", 2, 4)]
    [InlineData("50%", 2, 1)]
    [InlineData("200%", 2, 4)]
    [InlineData("+1", 2, 3)]
    [InlineData("-1", 2, 1)]
    [InlineData("-5", 2, 1)]
    [InlineData("0", 2, JobSlotsSpec.AsManyAsPossible)]
    [InlineData(" 3 ", 2, 3)]
    [InlineData("12.5%", 16, 2)]
    [InlineData("4.0", 2, 4)]
    [InlineData("1%", 2, 1)]
    public void JobSlots_ParseGnuForms(string spec, int cores, int expected)
    {
        Assert.True(JobSlotsSpec.TryParse(spec, cores, out var slots));
        Assert.Equal(expected, slots);
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("")]
    [InlineData("+5%")]
    [InlineData("1.5")]
    [InlineData("+")]
    [InlineData("%")]
    [InlineData(".5")]
    [InlineData("5.")]
    [InlineData("4x")]
    [InlineData("--1")]
    [InlineData("1e3")]
    public void JobSlots_RejectNonsense(string spec) => Assert.False(JobSlotsSpec.TryParse(spec, 2, out _));

    [Theory]
    [InlineData("now,fail=1", "Now", "Fail", 1, 0)]
    [InlineData("soon,success=3", "Soon", "Success", 3, 0)]
    [InlineData("now,done=50%", "Now", "Done", 0, 0.5)]
    [InlineData("2", "Now", "Fail", 1, 0)]
    [InlineData("1", "Soon", "Fail", 1, 0)]
    [InlineData("-2", "Now", "Success", 1, 0)]
    [InlineData("10%", "Soon", "Fail", 0, 0.1)]
    public void Halt_ParseGnuForms(string spec, string when, string on, int count, double fraction)
    {
        Assert.True(HaltPolicy.TryParse(spec, out var halt));
        Assert.Equal((when, on, count, fraction), (halt.When.ToString(), halt.On.ToString(), halt.Count, halt.Fraction));
    }

    [Theory]
    [InlineData("later,fail=1")]
    [InlineData("now,crash=1")]
    [InlineData("now,fail")]
    [InlineData("now,fail=x")]
    [InlineData("now,fail=0")]
    public void Halt_RejectNonsense(string spec) => Assert.False(HaltPolicy.TryParse(spec, out _));

    [Fact]
    public void Timeout_ParsesSecondsAndPercent()
    {
        Assert.True(TimeoutSpec.TryParse("2.5", out var seconds, out var none));
        Assert.Equal((TimeSpan.FromSeconds(2.5), (double?)null), (seconds, none));
        Assert.True(TimeoutSpec.TryParse("200%", out var noSeconds, out var fraction));
        Assert.Equal(((TimeSpan?)null, 2.0), (noSeconds, fraction));
        Assert.False(TimeoutSpec.TryParse("-1", out _, out _));
        Assert.False(TimeoutSpec.TryParse("soon", out _, out _));
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(3, 3)]
    [InlineData(100, 100)]
    [InlineData(101, 101)]
    [InlineData(150, 101)]
    public void ExitStatus_IsFailedCountCappedAt101(long failed, int expected) => Assert.Equal(expected, JobTally.ExitStatus(HaltPolicy.Never, null, failed, 200));

    [Fact]
    public void ExitStatus_PercentHaltNotReached_IsCeilingOfFailedShare()
    {
        // parallel -j1 --halt now,fail=50% 'exit {}' ::: 0 1 2 0 0 0  →  exit 34 (2 of 6 failed)
        Assert.True(HaltPolicy.TryParse("now,fail=50%", out var halt));
        Assert.Equal(34, JobTally.ExitStatus(halt, null, 2, 6));
    }

    [Fact]
    public void JobLogLine_HasGnuParallelsExactFormat()
    {
        var line = JobLog.FormatLine(4, DateTimeOffset.FromUnixTimeMilliseconds(1795661897729), TimeSpan.FromMilliseconds(3), 4, 2, 0, "echo 'a b'; exit 'a b'");
        Assert.Equal("4\t:\t1795661897.729\t     0.003\t0\t4\t2\t0\techo 'a b'; exit 'a b'", line);
        Assert.Equal("Seq\tHost\tStarttime\tJobRuntime\tSend\tReceive\tExitval\tSignal\tCommand", JobLog.Header);
    }

    [Fact]
    public void JobLogReader_ReadsGnuParallelsOwnLog()
    {
        var path = Path.GetTempFileName();
        try
        {
            // Written by GNU parallel 20221122: parallel --joblog jl --timeout 0.5 ... (job 2 timed out).
            File.WriteAllText(path, "Seq\tHost\tStarttime\tJobRuntime\tSend\tReceive\tExitval\tSignal\tCommand\n"
                + "1\t:\t1795661901.312\t     0.098\t0\t9\t0\t0\tsleep 0.1; echo done 0.1\n"
                + "2\t:\t1795661901.316\t     0.714\t0\t0\t-1\t15\tsleep 2; echo done 2\n"
                + "3\t:\t1795661901.320\t     0.001\t0\t0\t1\t0\texit 1\n");
            Assert.Equal([1L, 2L, 3L], JobLog.ReadDone(path, onlySucceeded: false).Order());
            Assert.Equal([1L], JobLog.ReadDone(path, onlySucceeded: true));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Options_Invalid_ListsEveryProblemInOneException()
    {
        var options = new JobRunOptions { Command = [], Jobs = "many", Halt = "sometime", Timeout = "-3", Retries = -1, Resume = true, ColumnSeparator = "(" };
        var e = Assert.Throws<SpindleOptionsException>(() => options.Validate());
        Assert.Equal(7, e.Problems.Count);
        Assert.Contains("'many'", e.Message, StringComparison.Ordinal);
        Assert.Contains("'sometime'", e.Message, StringComparison.Ordinal);
        Assert.Contains("'-3'", e.Message, StringComparison.Ordinal);
        Assert.Contains("require --joblog", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RunningMedian_IsExact()
    {
        var median = new RunningMedian();
        foreach (var v in new[] { 5.0, 1, 9, 3 })
        {
            median.Add(v);
        }

        Assert.Equal(4.0, median.Median);
        median.Add(100);
        Assert.Equal(5.0, median.Median);
    }
}
