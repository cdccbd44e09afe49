using System.Globalization;
using System.Text;
using Spindle.Jobs;

namespace Spindle.Tests.Jobs;

/// <summary>
/// --pipe and --pipepart: standard input (or a file) cut into chunks of whole records, one per job's stdin. Each
/// expected output is what GNU parallel 20221122 prints for the same command line.
/// </summary>
public sealed class PipeTests
{
    private static string Seq(int from, int to) => string.Concat(Enumerable.Range(from, to - from + 1).Select(i => i.ToString(CultureInfo.InvariantCulture) + "\n"));

    private static JobRunOptions PipeOf(string input, string command) => new()
    {
        Command = [command],
        Pipe = true,
        PipeInput = new MemoryStream(Encoding.UTF8.GetBytes(input)),
        Jobs = "2",
        KeepOrder = true,
    };

    [Fact(Timeout = TestWait.Hard)]
    public async Task Pipe_Block_CutsAtTheLastNewlineInEachBlock()
    {
        // seq 1 1000 | parallel -k --pipe --block 1k wc -l
        Assert.Equal("277\n250\n250\n223\n", await JobTestRun.OutputOf(PipeOf(Seq(1, 1000), "wc -l") with { BlockSize = 1000 }));
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task Pipe_EveryByteReachesExactlyOneJob_InOrder()
    {
        var input = Seq(1, 50_000);
        Assert.Equal(input, await JobTestRun.OutputOf(PipeOf(input, "cat") with { BlockSize = 10_000 }));
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task Pipe_MaxReplaceArgs_GivesEachJobThatManyRecords()
    {
        // seq 1 10 | parallel -k --pipe -N3 'tr "\n" " "; echo'
        Assert.Equal("1 2 3 \n4 5 6 \n7 8 9 \n10 \n", await JobTestRun.OutputOf(PipeOf(Seq(1, 10), "tr '\\n' ' '; echo") with { MaxReplaceArgs = 3 }));
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task Pipe_Header_StartsEveryChunk()
    {
        // printf 'id,v\n1,a\n2,b\n3,c\n' | parallel -k --pipe --header : -N2 cat
        Assert.Equal("id,v\n1,a\n2,b\nid,v\n3,c\n", await JobTestRun.OutputOf(PipeOf("id,v\n1,a\n2,b\n3,c\n", "cat") with { Header = ":", MaxReplaceArgs = 2 }));
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task Pipe_RecordStart_CutsOnlyBeforeIt()
    {
        // printf '>a\nAC\n>b\nGT\n>c\nTT\n' | parallel -k --pipe -N2 --recstart '>' 'tr "\n" " "; echo'
        Assert.Equal(">a AC >b GT \n>c TT \n", await JobTestRun.OutputOf(PipeOf(">a\nAC\n>b\nGT\n>c\nTT\n", "tr '\\n' ' '; echo") with { MaxReplaceArgs = 2, RecordStart = ">" }));
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task Pipe_RecordEnd_CutsAfterIt()
    {
        // printf 'a;b;c;d;' | parallel -k --pipe -N1 --recend ';' 'cat; echo'
        Assert.Equal("a;\nb;\nc;\nd;\n", await JobTestRun.OutputOf(PipeOf("a;b;c;d;", "cat; echo") with { MaxReplaceArgs = 1, RecordEnd = ";" }));
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task Pipe_RetriedJob_ReadsItsChunkFromTheStartAgain()
    {
        using var run = new JobTestRun();
        var marker = run.PathOf("tried");
        // The first attempt reads its chunk and fails; the second must see the same bytes.
        var command = $"if [ -e {marker} ]; then cat; else touch {marker}; cat >/dev/null; exit 1; fi";
        var result = await run.RunAsync(PipeOf("x\ny\n", command) with { Retries = 2, Jobs = "1" });
        Assert.Equal((0, "x\ny\n"), (result.ExitStatus, run.Stdout));
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task PipePart_CutsTheFileAtTheFirstNewlineAfterEachBlock()
    {
        using var run = new JobTestRun();
        var file = run.PathOf("k.txt");
        await File.WriteAllTextAsync(file, Seq(1, 1000));
        var options = new JobRunOptions { Command = ["wc -l"], PipePart = file, BlockSize = 1000, Jobs = "2", KeepOrder = true };
        // parallel -k --pipepart -a k.txt --block 1k wc -l
        Assert.Equal("278\n251\n251\n220\n", await JobTestRun.OutputOf(options));
        // parallel -k --pipepart -a k.txt --block -2 -j2 wc -l : two parts per job slot
        Assert.Equal("271\n244\n244\n241\n", await JobTestRun.OutputOf(options with { BlockSize = -2 }));
        // parallel -k --pipepart -a k.txt --header : --block 2k 'head -2 | tr "\n" " "'
        Assert.Equal("1 2 1 529 ", await JobTestRun.OutputOf(options with { BlockSize = 2000, Header = ":", Command = ["head -2 | tr '\\n' ' '"] }));
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task PipePart_LargeFile_EveryByteOnce()
    {
        using var run = new JobTestRun();
        var file = run.PathOf("big.txt");
        var input = Seq(1, 200_000);
        await File.WriteAllTextAsync(file, input);
        Assert.Equal(input, await JobTestRun.OutputOf(new JobRunOptions { Command = ["cat"], PipePart = file, BlockSize = 100_000, Jobs = "2", KeepOrder = true }));
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task PipePart_JobsThatStopReadingEarly_EndTheRunAndRetriesReadFromTheStart()
    {
        using var run = new JobTestRun();
        var file = run.PathOf("big.txt");
        await File.WriteAllTextAsync(file, Seq(1, 200_000));
        var options = new JobRunOptions { Command = ["head -1"], PipePart = file, BlockSize = -1, Jobs = "2", KeepOrder = true };
        // parallel -k --pipepart -a big.txt --block -1 -j2 head -1 : each part's first line; the rest is never read.
        Assert.Equal("1\n107938\n", await JobTestRun.OutputOf(options));
        Assert.Equal("", await JobTestRun.OutputOf(options with { Command = ["true"] }));
        var marker = run.PathOf("tried");
        var retried = options with { Jobs = "1", BlockSize = -1, Retries = 2, Command = [$"if [ -e {marker} ]; then head -1; else touch {marker}; head -c 10 >/dev/null; exit 1; fi"] };
        Assert.Equal("1\n", await JobTestRun.OutputOf(retried));
    }

    [Fact]
    public void Validate_PipeMisuse_AllProblemsInOneException()
    {
        var options = new JobRunOptions { Command = ["wc"], Pipe = true, BlockSize = 0, MaxArgs = 2, PipePart = "/no/such/file", MaxReplaceArgs = 1 };
        var e = Assert.Throws<SpindleOptionsException>(() => JobRunner.Run(options));
        Assert.Contains(e.Problems, p => p.StartsWith("BlockSize must be", StringComparison.Ordinal));
        Assert.Contains(e.Problems, p => p.Contains("not MaxLines, MaxArgs", StringComparison.Ordinal));
        Assert.Contains(e.Problems, p => p.StartsWith("PipePart cannot count records", StringComparison.Ordinal));
        Assert.Contains(e.Problems, p => p.Contains("'/no/such/file' does not exist", StringComparison.Ordinal));
    }
}
