using System.Globalization;
using System.Text;

namespace Spindle.Bench.Reporting;

/// <summary>The Markdown report: header naming the machine, findings, a verdict and a table per workload, the chart.</summary>
internal static class MarkdownReport
{
    /// <summary>Renders the report; <paramref name="level"/> is the heading level of its title (1 for a file, 2 for a docs section).</summary>
    public static string Render(BenchReport report, string chartPath, int level = 1, string title = "Spindle bench")
    {
        var h = new string('#', level);
        var s = report.Settings;
        var md = new StringBuilder();
        md.AppendLine(CultureInfo.InvariantCulture, $"{h} {title}").AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"Measured {report.StartedAt:yyyy-MM-dd HH:mm zzz} on {report.Machine.Describe()}.").AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"Reproduce with `{s.Command}` (size {s.Size.ToString(CultureInfo.InvariantCulture)}, {s.Warmups} warm-up and {s.Repeats} timed runs per technique, {s.IoConcurrency} tasks in flight for waiting work; the run took {report.TookSeconds:0} s).")
          .AppendLine("Times are medians with min–max; speedups are over the same runtime's serial run, measured in the same run; CPU is CPU time over (wall time × cores), worker processes and the local HTTP server included; peak memory is the peak resident size during a run, worker processes included. "
              + "The HTTP server runs inside the .NET bench process, so for the http and mix workloads the ThreadPool minimum is raised to the workload's concurrency plus the cores (otherwise blocking clients starve the server itself); this flatters Parallel.ForEach there.")
          .AppendLine();
        if (report.PythonSkipped is not null)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"Python: skipped. {report.PythonSkipped}").AppendLine();
        }

        md.AppendLine(CultureInfo.InvariantCulture, $"{h}# What the figures say").AppendLine();
        foreach (var finding in report.Findings)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"- {finding}");
        }

        foreach (var workload in report.Workloads)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"- {workload.Verdict}");
        }

        md.AppendLine().AppendLine(CultureInfo.InvariantCulture, $"![Speedup over serial per workload and technique]({chartPath})").AppendLine();

        foreach (var workload in report.Workloads)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"{h}# {workload.Title}").AppendLine();
            md.AppendLine(CultureInfo.InvariantCulture, $"{workload.Verdict}").AppendLine();
            md.AppendLine("| technique | median (min–max) | speedup vs serial | CPU | peak memory | results |");
            md.AppendLine("|---|---:|---:|---:|---:|---|");
            foreach (var row in workload.Techniques)
            {
                var name = row.Name == workload.Winner ? $"**{row.Name}** (fastest)" : row.Name;
                md.AppendLine(CultureInfo.InvariantCulture, $"| {name} | {Format.Timing(row)} | {Format.Speedup(row)} | {Format.Cpu(row)} | {Format.Memory(row.PeakBytes)} | {Format.Status(row).Replace("|", "/", StringComparison.Ordinal)} |");
            }

            md.AppendLine();
        }

        return md.ToString();
    }
}
