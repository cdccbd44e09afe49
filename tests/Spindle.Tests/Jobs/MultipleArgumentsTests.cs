using Spindle.Jobs;

namespace Spindle.Tests.Jobs;

/// <summary>
/// Several inputs per job (-N, -n, -L, -X, -m, --xargs). Each expected output is what GNU parallel 20221122 prints
/// for the same command, as its man page describes: -N gives {1}..{N} over the job's inputs and context replace, -m and
/// -n put every input where {} is, -X repeats a word holding {} per input and shares the inputs among the job slots.
/// </summary>
public sealed class MultipleArgumentsTests
{
    private static JobRunOptions Echo(string[] command, string[] values, int jobs = 1) => new()
    {
        Command = command,
        Inputs = [JobInputSource.FromValues(values)],
        Jobs = jobs.ToString(System.Globalization.CultureInfo.InvariantCulture),
        KeepOrder = true,
    };

    [Fact(Timeout = TestWait.Hard)]
    public async Task MaxReplaceArgs_PositionalStringsCountOverTheJobsInputs()
    {
        // parallel -k -N2 echo {1}-{2} ::: a b c
        Assert.Equal("a-b\nc-\n", await JobTestRun.OutputOf(Echo(["echo", "{1}-{2}"], ["a", "b", "c"]) with { MaxReplaceArgs = 2 }));
        // parallel -k -N3 echo {1}-{2}-{3}-{-1} ::: a b c d e
        Assert.Equal("a-b-c-c\nd-e--e\n", await JobTestRun.OutputOf(Echo(["echo", "{1}-{2}-{3}-{-1}"], ["a", "b", "c", "d", "e"]) with { MaxReplaceArgs = 3 }));
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task MaxReplaceArgs_SeveralSources_PositionsRunOverEveryColumnOfEveryInput()
    {
        // parallel -k -N2 echo {1}-{2}-{3}-{4} ::: a b ::: x y
        var options = Echo(["echo", "{1}-{2}-{3}-{4}"], ["a", "b"]) with
        {
            Inputs = [JobInputSource.FromValues(["a", "b"]), JobInputSource.FromValues(["x", "y"])],
            MaxReplaceArgs = 2,
        };
        Assert.Equal("a-x-a-y\nb-x-b-y\n", await JobTestRun.OutputOf(options));
        // parallel -k -N2 --colsep , echo {1}-{2}-{3} ::: a,b c,d e,f
        Assert.Equal("a-b-c\ne-f-\n", await JobTestRun.OutputOf(Echo(["echo", "{1}-{2}-{3}"], ["a,b", "c,d", "e,f"]) with { MaxReplaceArgs = 2, ColumnSeparator = "," }));
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task ContextReplace_RepeatsTheWordHoldingBraces_MaxArgsDoesNot()
    {
        // parallel -k -N2 echo pic{}.jpg ::: a b c ; parallel -k -n2 echo pic{}.jpg ::: a b c
        Assert.Equal("pica.jpg picb.jpg\npicc.jpg\n", await JobTestRun.OutputOf(Echo(["echo", "pic{}.jpg"], ["a", "b", "c"]) with { MaxReplaceArgs = 2 }));
        Assert.Equal("pica b.jpg\npicc.jpg\n", await JobTestRun.OutputOf(Echo(["echo", "pic{}.jpg"], ["a", "b", "c"]) with { MaxArgs = 2 }));
        // parallel -j1 -k -X echo {}-{1} ::: a b c : {1} in a repeated word is still the job's first input.
        Assert.Equal("a-a b-a c-a\n", await JobTestRun.OutputOf(Echo(["echo", "{}-{1}"], ["a", "b", "c"]) with { ArgumentMode = JobArgumentMode.ContextReplace }));
    }

    [Theory(Timeout = TestWait.Hard)]
    [InlineData(JobArgumentMode.ContextReplace, 1, "pica.jpg picb.jpg picc.jpg\n")]
    [InlineData(JobArgumentMode.ContextReplace, 2, "pica.jpg picb.jpg\npicc.jpg\n")]
    [InlineData(JobArgumentMode.Multiple, 2, "pica b.jpg\npicc.jpg\n")]
    [InlineData(JobArgumentMode.Xargs, 2, "pica b c.jpg\n")]
    public async Task FillModes_ShareTheLastInputsAmongTheSlots_ExceptXargs(JobArgumentMode mode, int jobs, string expected)
    {
        // parallel -k -jJ {-X|-m|--xargs} echo pic{}.jpg ::: a b c
        Assert.Equal(expected, await JobTestRun.OutputOf(Echo(["echo", "pic{}.jpg"], ["a", "b", "c"], jobs) with { ArgumentMode = mode }));
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task ContextReplace_SpreadsEvenly_CeilOfInputsOverSlots()
    {
        // parallel -j3 -k -X echo ::: 1 2 3 4 5 6 7 8 9 10
        var values = Enumerable.Range(1, 10).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal("1 2 3 4\n5 6 7 8\n9 10\n", await JobTestRun.OutputOf(Echo(["echo"], values, jobs: 3) with { ArgumentMode = JobArgumentMode.ContextReplace }));
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task FillModes_NeverPassMaxChars_AndLoseNoInput()
    {
        using var run = new JobTestRun();
        var values = Enumerable.Range(1, 20_000).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        var options = Echo(["echo"], values, jobs: 2) with { ArgumentMode = JobArgumentMode.Xargs, MaxChars = 10_000 };
        var result = await run.RunAsync(options);
        Assert.Equal(0, result.ExitStatus);
        var lines = run.Stdout.TrimEnd('\n').Split('\n');
        Assert.All(lines, line => Assert.True(("echo " + line).Length <= 10_000, $"a command line of {line.Length + 5} bytes"));
        Assert.True(lines.Length > 10, $"{lines.Length} jobs for about 109 KB of arguments in lines of 10 KB");
        Assert.Equal(values, lines.SelectMany(l => l.Split(' ')));
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task MaxZero_TakesOneInputPerJob_AndInsertsNone()
    {
        // parallel -k -N0 echo x{}y ::: 1 2
        Assert.Equal("xy\nxy\n", await JobTestRun.OutputOf(Echo(["echo", "x{}y"], ["1", "2"]) with { MaxReplaceArgs = 0 }));
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task MaxLines_ALineEndingInABlankGoesOnInTheNext()
    {
        // printf 'a b \nc\nd e\nf\n' | parallel -k -L2 echo  →  echo 'a b c' 'd e' ; echo f
        var options = Echo(["echo"], []) with { Inputs = [], StandardInput = new StringReader("a b \nc\nd e\nf\n"), MaxLines = 2 };
        using var run = new JobTestRun();
        await run.RunAsync(options with { DryRun = true });
        Assert.Equal("echo 'a b c' 'd e'\necho f\n", run.Stdout);
    }
}
