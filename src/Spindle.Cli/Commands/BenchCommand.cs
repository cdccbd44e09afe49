using System.CommandLine;
using System.Globalization;
using Spectre.Console;
using Spindle.Bench;
using Spindle.Bench.Reporting;

namespace Spindle.Cli.Commands;

/// <summary><c>spindle bench</c>: Spindle's claims measured on this machine, side by side with raw TPL and Python.</summary>
internal static class BenchCommand
{
    public static Command Create(IAnsiConsole console, TextWriter error)
    {
        var quick = new Option<bool>("--quick") { Description = "The quick form: size 0.25 and 3 timed runs; under a minute on 2 cores." };
        var size = new Option<double?>("--size") { Description = "Scale of every workload (1 is the default size).", CustomParser = OptionValues.OptionalPositiveNumber() };
        var repeats = new Option<int?>("--repeats") { Description = "Timed runs per workload and technique (default 5, quick 3).", CustomParser = OptionValues.OptionalWholeNumber(1) };
        var warmups = new Option<int>("--warmups") { Description = "Untimed runs before the timed ones.", DefaultValueFactory = _ => 1, CustomParser = OptionValues.WholeNumber(0) };
        var ioConcurrency = new Option<int>("--io-concurrency") { Description = "Tasks in flight for waiting work.", DefaultValueFactory = _ => 64, CustomParser = OptionValues.WholeNumber(1) };
        var workloads = new Option<string[]>("--workloads") { Description = "Only these workloads: cpu, alloc, files, http, waits, mix.", AllowMultipleArgumentsPerToken = true };
        var python = new Option<string>("--python") { Description = "The Python interpreter to compare with.", DefaultValueFactory = _ => "python3" };
        var noPython = new Option<bool>("--no-python") { Description = "Skip the Python side." };
        var output = new Option<string>("--out") { Description = "Directory for bench.json, report.md, bench.svg and spindle_bench.py.", DefaultValueFactory = _ => "bench-results" };
        var docs = new Option<string?>("--docs") { Description = "Also rewrite the '## spindle bench' section of this Markdown file (e.g. docs/benchmarks.md) and its chart." };
        var command = new Command("bench", "Measure threads, processes, raw TPL and Python on CPU, allocation, file, HTTP, wait and mixed workloads.")
        {
            quick, size, repeats, warmups, ioConcurrency, workloads, python, noPython, output, docs,
        };
        command.SetAction((result, token) =>
        {
            var isQuick = result.GetValue(quick);
            var defaults = isQuick ? BenchOptions.Quick : new BenchOptions();
            var options = defaults with
            {
                Size = result.GetValue(size) ?? defaults.Size,
                Repeats = result.GetValue(repeats) ?? defaults.Repeats,
                Warmups = result.GetValue(warmups),
                IoConcurrency = result.GetValue(ioConcurrency),
                Workloads = [.. (result.GetValue(workloads) ?? []).SelectMany(w => w.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))],
                PythonPath = result.GetValue(noPython) ? null : result.GetValue(python),
                Command = "dotnet run --project src/Spindle.Cli -c Release -- " + string.Join(' ', result.Tokens.Select(t => t.Value)),
            };
            return RunAsync(console, error, options, result.GetValue(output)!, result.GetValue(docs), token);
        });
        return command;
    }

    private static async Task<int> RunAsync(IAnsiConsole console, TextWriter error, BenchOptions options, string outputDirectory, string? docsPath, CancellationToken token)
    {
        BenchReport report;
        try
        {
            // Checked before anything is printed, so that bad options give the error alone.
            options.Validate();
            console.MarkupLine($"[bold]spindle bench[/]: size {options.Size.ToString(CultureInfo.InvariantCulture)}, {options.Warmups} warm-up + {options.Repeats} timed runs per technique, {Environment.ProcessorCount} cores");
            report = await console.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
                .StartAsync(async ctx =>
                {
                    var task = ctx.AddTask("starting", maxValue: 1);
                    var progress = new ImmediateProgress(p =>
                    {
                        task.MaxValue = Math.Max(1, p.Total);
                        task.Value = p.Done;
                        task.Description = p.Technique == "done" ? "done" : Markup.Escape($"{p.Workload}: {p.Technique}");
                    });
                    return await BenchRunner.RunAsync(options, progress, token);
                });
        }
        catch (SpindleOptionsException e)
        {
            await error.WriteLineAsync($"spindle bench: {string.Join(" ", e.Problems)}");
            return SpindleCli.UsageError;
        }

        console.MarkupLine(Markup.Escape(report.Machine.Describe()));
        if (report.PythonSkipped is not null)
        {
            console.MarkupLine($"[yellow]Python skipped:[/] {Markup.Escape(report.PythonSkipped)}");
        }

        console.Write(Table(report));
        console.MarkupLine("wall: median of the timed runs (min–max in the report); speedup: over the same runtime's serial run; CPU: of all cores; memory: peak resident, worker processes included; ★ fastest, ✗ failed or wrong results.");
        foreach (var workload in report.Workloads)
        {
            console.MarkupLine($"• {Markup.Escape(workload.Verdict)}");
        }

        foreach (var finding in report.Findings)
        {
            console.MarkupLine($"• {Markup.Escape(finding)}");
        }

        var files = await BenchFiles.WriteAsync(report, outputDirectory, token);
        console.MarkupLine($"Wrote {Markup.Escape(files.Markdown)}, {Markup.Escape(files.Chart)}, {Markup.Escape(files.Json)} and {Markup.Escape(files.PythonScript)}.");
        if (docsPath is not null)
        {
            await BenchFiles.UpdateDocsAsync(report, docsPath, token);
            console.MarkupLine($"Rewrote the '{BenchFiles.DocsHeading}' section of {Markup.Escape(docsPath)}.");
        }

        var failed = report.Workloads.SelectMany(w => w.Techniques).Where(t => !t.Ok).ToList();
        foreach (var row in failed)
        {
            console.MarkupLine($"[red]{Markup.Escape(row.Name)} failed: {Markup.Escape(Format.Status(row))}[/]");
        }

        return failed.Count == 0 ? 0 : 1;
    }

    private static Table Table(BenchReport report)
    {
        var table = new Table().Border(TableBorder.Rounded)
            .AddColumn("workload").AddColumn("technique")
            .AddColumn(new TableColumn("wall").RightAligned())
            .AddColumn(new TableColumn("speedup").RightAligned())
            .AddColumn(new TableColumn("CPU").RightAligned())
            .AddColumn(new TableColumn("memory").RightAligned());
        foreach (var workload in report.Workloads)
        {
            var first = true;
            foreach (var row in workload.Techniques)
            {
                var won = row.Name == workload.Winner;
                table.AddRow(
                    first ? $"[bold]{Markup.Escape(workload.Name)}[/]" : "",
                    row.Ok ? (won ? $"[green]★ {Markup.Escape(row.Name)}[/]" : Markup.Escape(row.Name)) : $"[red]{Markup.Escape(row.Name)} ✗[/]",
                    row.Runs.Count == 0 ? "–" : Format.Seconds(row.MedianSeconds),
                    Format.Speedup(row),
                    Format.Cpu(row),
                    Format.Memory(row.PeakBytes));
                first = false;
            }
        }

        return table;
    }

    /// <summary>Reports on the calling thread, unlike Progress&lt;T&gt;, so that the bar is current when the run ends.</summary>
    private sealed class ImmediateProgress(Action<BenchProgress> report) : IProgress<BenchProgress>
    {
        public void Report(BenchProgress value) => report(value);
    }
}
