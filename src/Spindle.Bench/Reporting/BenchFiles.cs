using System.Text.Json;
using System.Text.Json.Serialization;
using Spindle.Bench.Python;

namespace Spindle.Bench.Reporting;

/// <summary>The files a bench run leaves: bench.json (every raw figure), report.md, bench.svg and the Python script.</summary>
public static class BenchFiles
{
    /// <summary>The heading of the bench's own section in docs/benchmarks.md.</summary>
    public const string DocsHeading = "## spindle bench";

    private static readonly JsonSerializerOptions s_json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Converters = { new JsonStringEnumConverter() },
    };

    /// <summary>Writes the report's files into <paramref name="directory"/> and returns their paths.</summary>
    public static async Task<BenchFilePaths> WriteAsync(BenchReport report, string directory, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(report);
        Directory.CreateDirectory(directory);
        var paths = new BenchFilePaths(
            Path.Combine(directory, "bench.json"), Path.Combine(directory, "report.md"), Path.Combine(directory, "bench.svg"), Path.Combine(directory, "spindle_bench.py"));
        await File.WriteAllTextAsync(paths.Json, ToJson(report), cancellationToken);
        await File.WriteAllTextAsync(paths.Chart, SvgChart.Render(report), cancellationToken);
        await File.WriteAllTextAsync(paths.Markdown, MarkdownReport.Render(report, "bench.svg"), cancellationToken);
        await PythonSide.WriteScriptAsync(paths.PythonScript, cancellationToken);
        return paths;
    }

    /// <summary>The report as JSON, with every run's raw figures.</summary>
    public static string ToJson(BenchReport report) => JsonSerializer.Serialize(report, s_json);

    /// <summary>
    /// Replaces the "## spindle bench" section of <paramref name="markdownPath"/> (up to the next "## " heading) with
    /// this report, and writes its chart beside the page as bench-speedup.svg. Other sections are left as they are.
    /// </summary>
    public static async Task UpdateDocsAsync(BenchReport report, string markdownPath, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(report);
        var directory = Path.GetDirectoryName(Path.GetFullPath(markdownPath))!;
        await File.WriteAllTextAsync(Path.Combine(directory, "bench-speedup.svg"), SvgChart.Render(report), cancellationToken);

        var section = MarkdownReport.Render(report, "bench-speedup.svg", level: 2, title: DocsHeading[3..])
            + "Other figures on this page (the microbenchmarks of the executors, pipelines and jobs, run with BenchmarkDotNet from "
            + "`benchmarks/Spindle.Benchmarks`) are in the sections around this one; each names its own command.\n\n";
        var lines = File.Exists(markdownPath) ? [.. await File.ReadAllLinesAsync(markdownPath, cancellationToken)] : new List<string> { "# Benchmarks", "" };
        var start = lines.FindIndex(l => l.Trim() == DocsHeading);
        if (start < 0)
        {
            if (lines.Count > 0 && lines[^1].Length > 0)
            {
                lines.Add("");
            }

            lines.AddRange(section.TrimEnd('\n').Split('\n'));
        }
        else
        {
            var end = lines.FindIndex(start + 1, l => l.StartsWith("## ", StringComparison.Ordinal));
            if (end < 0)
            {
                end = lines.Count;
            }

            lines.RemoveRange(start, end - start);
            lines.InsertRange(start, section.Split('\n')[..^1]);
        }

        await File.WriteAllTextAsync(markdownPath, string.Join('\n', lines).TrimEnd('\n') + "\n", cancellationToken);
    }
}

/// <summary>Where <see cref="BenchFiles.WriteAsync"/> put each file.</summary>
/// <param name="Json">Every raw figure.</param>
/// <param name="Markdown">The report.</param>
/// <param name="Chart">The speedup chart (SVG).</param>
/// <param name="PythonScript">The Python side, to run by hand.</param>
public sealed record BenchFilePaths(string Json, string Markdown, string Chart, string PythonScript);
