using System.Text.Json;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Spectre.Console.Testing;
using Spindle.Bench;
using Spindle.Bench.Reporting;
using Spindle.Cli;

namespace Spindle.Tests.Bench;

/// <summary>What `spindle bench` leaves behind: a terminal table, and well-formed report, chart, JSON and docs section.</summary>
public sealed class BenchReportFilesTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("spindle-bench-test-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact(Timeout = TestWait.Hard)]
    public async Task BenchCommand_TinyRun_PrintsTheTableAndWritesWellFormedFiles()
    {
        var console = new TestConsole().Width(160);
        var output = Path.Combine(_directory, "out");

        var code = await SpindleCli.RunAsync(
            ["bench", "--size", "0.02", "--repeats", "2", "--warmups", "0", "--workloads", "cpu,waits", "--no-python", "--out", output], console);

        Assert.Equal(0, code);
        Assert.Contains("Spindle threads, CPU lane", console.Output, StringComparison.Ordinal);
        Assert.Contains("★", console.Output, StringComparison.Ordinal);
        Assert.Contains("Python skipped", console.Output, StringComparison.Ordinal);
        Assert.Contains("CPU-bound (cpu):", console.Output, StringComparison.Ordinal);

        using var json = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(output, "bench.json")));
        var workloads = json.RootElement.GetProperty("workloads");
        Assert.Equal(2, workloads.GetArrayLength());
        foreach (var workload in workloads.EnumerateArray())
        {
            foreach (var technique in workload.GetProperty("techniques").EnumerateArray())
            {
                Assert.Equal(2, technique.GetProperty("runs").GetArrayLength());
                Assert.True(technique.GetProperty("medianSeconds").GetDouble() > 0);
                Assert.True(technique.GetProperty("speedup").GetDouble() > 0);
            }
        }

        Assert.Equal(Environment.ProcessorCount, json.RootElement.GetProperty("machine").GetProperty("cores").GetInt32());

        var svg = XDocument.Load(Path.Combine(output, "bench.svg"));
        XNamespace ns = "http://www.w3.org/2000/svg";
        Assert.Equal(ns + "svg", svg.Root!.Name);
        var bars = svg.Descendants(ns + "rect").Count(r => r.Element(ns + "title") is not null);
        Assert.Equal(2 * 7, bars);

        var markdown = await File.ReadAllTextAsync(Path.Combine(output, "report.md"));
        Assert.StartsWith("# Spindle bench", markdown, StringComparison.Ordinal);
        Assert.Contains("![Speedup over serial per workload and technique](bench.svg)", markdown, StringComparison.Ordinal);
        // A row may be the fastest of its workload, and then its name is bold: "| **Parallel.ForEachAsync** (fastest) |".
        Assert.Equal(2, Regex.Count(markdown, @"^\| (\*\*)?Parallel\.ForEachAsync(\*\* \(fastest\))? \|", RegexOptions.Multiline));
        Assert.Equal(2, Regex.Count(markdown, @"^\| \*\*[^|]+\*\* \(fastest\) \|", RegexOptions.Multiline));
        Assert.Contains("cores", markdown, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(output, "spindle_bench.py")));
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task UpdateDocsAsync_ReplacesOnlyItsOwnSection()
    {
        var docs = Path.Combine(_directory, "benchmarks.md");
        await File.WriteAllTextAsync(docs, "# Benchmarks\n\nIntro.\n\n## spindle bench\n\nold figures\n\n## Process executor\n\nkept\n");
        var report = await BenchRunner.RunAsync(new BenchOptions { Size = 0.02, Repeats = 1, Warmups = 0, Workloads = ["waits"], PythonPath = null });

        await BenchFiles.UpdateDocsAsync(report, docs);
        await BenchFiles.UpdateDocsAsync(report, docs);

        var text = await File.ReadAllTextAsync(docs);
        Assert.StartsWith("# Benchmarks\n\nIntro.\n\n## spindle bench\n", text, StringComparison.Ordinal);
        Assert.DoesNotContain("old figures", text, StringComparison.Ordinal);
        Assert.Single(Regex.Matches(text, "^## spindle bench$", RegexOptions.Multiline));
        Assert.EndsWith("## Process executor\n\nkept\n", text, StringComparison.Ordinal);
        Assert.Contains("![Speedup over serial per workload and technique](bench-speedup.svg)", text, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(_directory, "bench-speedup.svg")));
    }
}
