using System.Text.RegularExpressions;
using Spindle.Jobs;

namespace Spindle.Tests.Jobs;

/// <summary>
/// --header with sources, --link/--xapply, --shuf, --tagstring and the --results forms. Each expected output is what
/// GNU parallel 20221122 prints or writes for the same command line (its man page's examples where it has them).
/// </summary>
public sealed partial class NamingAndResultsTests
{
    private static JobRunOptions Run(string command, params JobInputSource[] sources) => new()
    {
        Command = [command],
        Inputs = sources,
        Jobs = "2",
        KeepOrder = true,
    };

    private static async Task<string> OutputOf(JobRunOptions options)
    {
        using var run = new JobTestRun();
        var result = await run.RunAsync(options);
        Assert.Equal(0, result.ExitStatus);
        return run.Stdout;
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task Header_FirstValueOfEachSourceNamesIt()
    {
        // parallel -k --header : echo {a}-{b} ::: a 1 2 ::: b x y
        var options = Run("echo {a}-{b}", JobInputSource.FromValues(["a", "1", "2"]), JobInputSource.FromValues(["b", "x", "y"])) with { Header = ":" };
        Assert.Equal("1-x\n1-y\n2-x\n2-y\n", await OutputOf(options));
        // parallel -k --header : echo {a.} {b/} ::: a x.y ::: b p/q
        var transformed = Run("echo {a.} {b/}", JobInputSource.FromValues(["a", "x.y"]), JobInputSource.FromValues(["b", "p/q"])) with { Header = ":" };
        Assert.Equal("x q\n", await OutputOf(transformed));
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task Header_WithColsep_NamesEveryColumnOfAFile()
    {
        using var run = new JobTestRun();
        var file = run.PathOf("table.csv");
        await File.WriteAllTextAsync(file, "name,v\nx,1\ny,2\n");
        // parallel -k --header : --colsep , echo {name}={v} :::: table.csv
        Assert.Equal("x=1\ny=2\n", await OutputOf(Run("echo {name}={v}", JobInputSource.FromFile(file)) with { Header = ":", ColumnSeparator = "," }));
        // The same from standard input, tab-separated: printf 'n\tm\n1\t2\n' | parallel -k --header : --colsep '\t' echo {m}{n}
        Assert.Equal("21\n", await OutputOf(Run("echo {m}{n}") with { Header = ":", ColumnSeparator = "\t", StandardInput = new StringReader("n\tm\n1\t2\n") }));
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task Link_PairsSources_TheShorterWrapsAround()
    {
        // parallel -k --xapply echo ::: a b c ::: 1 2
        Assert.Equal("a 1\nb 2\nc 1\n", await OutputOf(Run("echo", JobInputSource.FromValues(["a", "b", "c"]), JobInputSource.FromValues(["1", "2"])) with { Link = true }));
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task Shuffle_RunsEveryJobOnce()
    {
        var values = Enumerable.Range(1, 40).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        var output = await OutputOf(Run("echo", JobInputSource.FromValues(values)) with { Shuffle = true, KeepOrder = false });
        Assert.Equal(values, output.TrimEnd('\n').Split('\n').OrderBy(int.Parse));
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task TagString_RendersReplacementStringsBeforeEachLine()
    {
        // parallel -k --tagstring '{}-X' echo hi ::: a b ; parallel -k --tagstring '{2}:' echo ::: a ::: 1 2
        Assert.Equal("a-X\thi a\nb-X\thi b\n", await OutputOf(Run("echo hi", JobInputSource.FromValues(["a", "b"])) with { TagString = "{}-X" }));
        Assert.Equal("1:\ta 1\n2:\ta 2\n", await OutputOf(Run("echo", JobInputSource.FromValues(["a"]), JobInputSource.FromValues(["1", "2"])) with { TagString = "{2}:" }));
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task Results_PathWithReplacementStrings_WritesPathErrAndSeqPerJob_AndPrintsNothing()
    {
        using var run = new JobTestRun();
        // parallel --results my_{} echo ::: foo bar ; parallel --results my_{}/ echo ::: baz
        var output = await OutputOf(Run("echo {}; echo e{} >&2", JobInputSource.FromValues(["foo", "bar"])) with { ResultsDirectory = run.PathOf("my_{}") });
        Assert.Equal("", output);
        Assert.Equal(("foo\n", "efoo\n", "1"), (File.ReadAllText(run.PathOf("my_foo")), File.ReadAllText(run.PathOf("my_foo.err")), File.ReadAllText(run.PathOf("my_foo.seq"))));
        Assert.Equal("2", File.ReadAllText(run.PathOf("my_bar.seq")));
        await OutputOf(Run("echo {}", JobInputSource.FromValues(["baz"])) with { ResultsDirectory = run.PathOf("my_{}/") });
        Assert.Equal(("baz\n", "", "1"), (File.ReadAllText(run.PathOf("my_baz/stdout")), File.ReadAllText(run.PathOf("my_baz/stderr")), File.ReadAllText(run.PathOf("my_baz/seq"))));
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task Results_Csv_OneRowPerJob_QuotedAsGnuParallelQuotes()
    {
        using var run = new JobTestRun();
        var csv = run.PathOf("out.csv");
        // parallel --results out.csv 'echo "x,y"; echo e >&2' ::: 'a,b'
        await OutputOf(Run("echo \"x,y\"; echo e >&2", JobInputSource.FromValues(["a,b"])) with { ResultsDirectory = csv });
        var text = File.ReadAllText(csv);
        Assert.StartsWith("Seq,Host,Starttime,JobRuntime,Send,Receive,Exitval,Signal,Command,V1,Stdout,Stderr\n", text, StringComparison.Ordinal);
        Assert.Matches(TimesInRow(), text);
        Assert.EndsWith(",0,4,0,0,\"echo \"\"x,y\"\"; echo e >&2 'a,b'\",\"a,b\",\"x,y\n\",\"e a,b\n\"\n", text, StringComparison.Ordinal);
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task Results_TsvAndJson_AsGnuParallelWritesThem()
    {
        using var run = new JobTestRun();
        // parallel --results out.tsv echo ::: 'b c' ; parallel --results out.json echo ::: a
        await OutputOf(Run("echo", JobInputSource.FromValues(["b c"])) with { ResultsDirectory = run.PathOf("out.tsv") });
        var tsv = File.ReadAllLines(run.PathOf("out.tsv"));
        Assert.Equal("Seq\tHost\tStarttime\tJobRuntime\tSend\tReceive\tExitval\tSignal\tCommand\tV1\tStdout\tStderr", tsv[0]);
        Assert.EndsWith("\t0\t4\t0\t0\t\"echo 'b c'\"\t\"b c\"\t\"b c", tsv[1], StringComparison.Ordinal);
        await OutputOf(Run("echo", JobInputSource.FromValues(["a"])) with { ResultsDirectory = run.PathOf("out.json") });
        var json = File.ReadAllText(run.PathOf("out.json"));
        Assert.StartsWith("{ \"Seq\": 1, \"Host\": \":\", \"Starttime\": ", json, StringComparison.Ordinal);
        Assert.EndsWith(", \"Send\": 0, \"Receive\": 2, \"Exitval\": 0, \"Signal\": 0, \"Command\": \"echo a\", \"V\": [ \"a\" ], \"Stdout\": \"a\\u000a\", \"Stderr\": \"\" }\n", json, StringComparison.Ordinal);
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task Csv_QuotedFieldsKeepTheirCommasQuotesAndNewlines()
    {
        // man parallel, --csv: echo '"1 big, 2 small","2""x4"" plank",12.34' | parallel --csv echo {1} of {2} at {3}
        var options = Run("echo {1} of {2} at {3}") with { Csv = true, StandardInput = new StringReader("\"1 big, 2 small\",\"2\"\"x4\"\" plank\",12.34\n") };
        Assert.Equal("1 big, 2 small of 2\"x4\" plank at 12.34\n", await OutputOf(options with { Command = ["echo", "{1}", "of", "{2}", "at", "{3}"], CommandMode = JobCommandMode.NoShell }));
        // man parallel, --csv: a quoted newline, with --colsep ';'
        var multiline = Run("printf '%s|%s\\n' {1} {2}") with { Csv = true, ColumnSeparator = ";", StandardInput = new StringReader("\"Start of field 1 with newline\nLine 2 in field 1\";value 2\n") };
        Assert.Equal("Start of field 1 with newline\nLine 2 in field 1|value 2\n", await OutputOf(multiline));
    }

    [GeneratedRegex(@"\n1,:,[0-9]+\.[0-9]{3},[0-9]+\.[0-9]{3},")]
    private static partial Regex TimesInRow();
}
