using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using Spectre.Console;
using Spectre.Console.Testing;
using Spindle.Cli;
using Spindle.Cli.Commands;

namespace Spindle.Tests.Cli;

/// <summary>
/// The command line as a user meets it: it calls itself spindle, says its version at the root and on run, and every
/// error is one sentence on stderr with a non-zero exit, naming the bad value and the fix, never a .NET type name.
/// </summary>
public sealed partial class CliConventionsTests
{
    [Fact(Timeout = TestWait.Hard)]
    public async Task Version_AtTheRootAndOnRun_PrintsThePackageVersionAlone()
    {
        var (status, stdout, stderr, _) = await CliAsync("--version");
        Assert.Equal(0, status);
        Assert.Equal("", stderr);
        Assert.Matches(SemVer(), stdout.TrimEnd('\n'));
        Assert.StartsWith("0.", stdout, StringComparison.Ordinal);

        using var runOut = new MemoryStream();
        using var runErr = new MemoryStream();
        var runStatus = RunCommand.Run(["--version"], null, new RunStreams(runOut, runErr, new StringReader(""), new TestConsole()), CancellationToken.None);
        Assert.Equal(0, runStatus);
        Assert.Equal(stdout, Encoding.UTF8.GetString(runOut.ToArray()));
        Assert.Equal(0, runErr.Length);

        // The same through the full command tree (`spindle run --version` reaches it when run is not invoked directly).
        var console = new TestConsole();
        var treeStatus = await SpindleCli.RunAsync(["run", "--version"], console, new StringWriter(), new StringWriter());
        Assert.Equal(0, treeStatus);
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task Help_NamesTheCommandSpindle_NotTheAssembly()
    {
        foreach (var args in new[] { new[] { "--help" }, ["bench", "--help"], ["demo", "--help"] })
        {
            var (status, stdout, _, _) = await CliAsync(args);
            Assert.Equal(0, status);
            Assert.Contains("spindle", stdout, StringComparison.Ordinal);
            Assert.DoesNotContain("Spindle.Cli", stdout, StringComparison.Ordinal);
        }
    }

    [Theory(Timeout = TestWait.Hard)]
    [InlineData("spindle bench: --size must be a number greater than 0 (was 'abc'); for example --size 0.5.", "bench", "--size", "abc")]
    [InlineData("spindle bench: --size must be a number greater than 0 (was '-1')", "bench", "--size", "-1")]
    [InlineData("spindle bench: --repeats must be a whole number of at least 1 (was '0')", "bench", "--repeats", "0")]
    [InlineData("spindle bench: --warmups must be a whole number of at least 0 (was 'x')", "bench", "--warmups", "x")]
    [InlineData("spindle bench: --io-concurrency must be a whole number of at least 1 (was 'many')", "bench", "--io-concurrency", "many")]
    [InlineData("spindle bench: --repeats needs a value.", "bench", "--repeats")]
    [InlineData("spindle bench: '--frob' is not an option of spindle bench.", "bench", "--frob")]
    [InlineData("spindle bench: The workload 'nope' is unknown; choose from cpu, alloc, files, http, waits, mix.", "bench", "--workloads", "nope", "--no-python")]
    [InlineData("spindle demo: --downloads must be a whole number of at least 1 (was '0')", "demo", "--downloads", "0")]
    [InlineData("spindle demo: --cpu-tasks must be a whole number of at least 1 (was 'x')", "demo", "--cpu-tasks", "x")]
    [InlineData("spindle demo: 'extra' is not an option of spindle demo.", "demo", "extra")]
    [InlineData("spindle: 'frob' is not a command or option of spindle; the commands are run, sem, bench, demo.", "frob")]
    [InlineData("spindle: give a command: run, sem, bench, demo.")]
    public async Task BadInput_OneSentenceOnStderr_NonZeroExit_NoTypeName(string expected, params string[] args)
    {
        var (status, stdout, stderr, rendered) = await CliAsync(args);
        Assert.NotEqual(0, status);
        Assert.Equal("", stdout);
        Assert.Single(stderr.TrimEnd('\n').Split('\n'));
        Assert.Contains(expected, stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("System.", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", stderr, StringComparison.Ordinal);
        // Nothing but the error: no bench header or table was rendered before it.
        Assert.DoesNotContain("workload", rendered, StringComparison.Ordinal);
    }

    [Fact]
    public void PipedConsole_LongTableCellsAndLines_AreNeverWrapped()
    {
        var writer = new StringWriter();
        var console = SpindleCli.StandardConsole(writer, redirected: true);
        var sentence = string.Join(' ', Enumerable.Repeat("isolation-at-the-cost-of-starting-them", 12));
        console.Write(new Table().AddColumn("why").AddRow(Markup.Escape(sentence)));
        console.MarkupLine(Markup.Escape(sentence));

        var lines = writer.ToString().Split('\n');
        Assert.Equal(2, lines.Count(l => l.Contains(sentence, StringComparison.Ordinal)));
        Assert.DoesNotContain('\u001b', writer.ToString());
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task Demo_OnATerminalWithNoColor_PrintsNoColours()
    {
        // A real terminal (script(1) gives the CLI a pseudo-terminal), where Spectre would colour the status spinner.
        var cli = Path.Combine(AppContext.BaseDirectory, "Spindle.Cli.dll");
        var start = new ProcessStartInfo("script") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (var arg in new[] { "-qec", $"dotnet '{cli}' demo --downloads 4 --cpu-tasks 2", "/dev/null" })
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["NO_COLOR"] = "1";
        start.Environment["TERM"] = "xterm-256color";
        using var process = Process.Start(start)!;
        process.StandardInput.Close();
        try
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(50));
            var output = await stdout;
            Assert.True(process.ExitCode == 0, output);
            Assert.Contains("How Auto routed each function", output, StringComparison.Ordinal);
            // Colour is SGR 30-38, 40-48, 90-97 or 100-107; bold (1) and reset (0) are not colour, and NO_COLOR allows them.
            Assert.DoesNotMatch(ColourCode(), output);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }

    private static async Task<(int Status, string Stdout, string Stderr, string Rendered)> CliAsync(params string[] args)
    {
        var console = new TestConsole().Width(200);
        var output = new StringWriter();
        var error = new StringWriter();
        var status = await SpindleCli.RunAsync(args, console, output, error);
        return (status, output.ToString(), error.ToString(), console.Output);
    }

    [GeneratedRegex(@"^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$")]
    private static partial Regex SemVer();

    [GeneratedRegex(@"\u001b\[(?:[0-9;]*;)?(?:3[0-8]|4[0-8]|9[0-7]|10[0-7])(?:;[0-9;]*)?m")]
    private static partial Regex ColourCode();
}
