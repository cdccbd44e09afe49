using System.Globalization;
using System.Net;
using System.Text;

namespace Spindle.Bench.Reporting;

/// <summary>
/// A grouped bar chart of speedup over serial, one group per workload and one bar per technique, as plain SVG:
/// no native graphics library to install, and it renders on GitHub and in any browser.
/// </summary>
internal static class SvgChart
{
    private static readonly string[] s_palette =
    [
        "#9e9e9e", "#1f77b4", "#aec7e8", "#2ca02c", "#98df8a", "#ff7f0e", "#ffbb78", "#d62728", "#ff9896", "#9467bd", "#c5b0d5", "#8c564b",
    ];

    public static string Render(BenchReport report)
    {
        var techniques = report.Workloads.SelectMany(w => w.Techniques.Select(t => t.Name)).Distinct().ToList();
        var groups = report.Workloads;
        const int barWidth = 14, groupGap = 28, left = 60, top = 40, plotHeight = 300, legendRow = 18;
        var groupWidth = Math.Max(1, techniques.Count) * barWidth;
        var plotWidth = Math.Max(1, groups.Count) * (groupWidth + groupGap);
        var legendRows = (techniques.Count + 2) / 3;
        var column = Math.Max(200, plotWidth / 3);
        var width = Math.Max(left + plotWidth, left + (3 * column)) + 20;
        var height = top + plotHeight + 50 + (legendRows * legendRow) + 10;
        // A log scale: CPU speedups (about the core count) and I/O speedups (tens) both stay readable.
        var max = Math.Max(2, groups.SelectMany(w => w.Techniques).Select(t => t.Speedup ?? 0).DefaultIfEmpty(0).Max());
        const double floor = 0.25;
        var ceiling = Math.Pow(2, Math.Ceiling(Math.Log2(max)));
        double Y(double v) => top + plotHeight - ((Math.Log2(Math.Clamp(v, floor, ceiling)) - Math.Log2(floor)) / (Math.Log2(ceiling) - Math.Log2(floor)) * plotHeight);

        var svg = new StringBuilder();
        svg.AppendLine(F($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" font-family=\"sans-serif\" font-size=\"11\">"));
        svg.AppendLine(F($"<rect width=\"{width}\" height=\"{height}\" fill=\"white\"/>"));
        svg.AppendLine(F($"<text x=\"{left}\" y=\"20\" font-size=\"14\" font-weight=\"bold\">Speedup over serial (same runtime, log scale), median of {report.Settings.Repeats} runs, {report.Machine.Cores} cores</text>"));

        // Grid lines at powers of two; dashed lines at 1x (no gain) and at the core count (the most CPU work can gain).
        var lines = new SortedSet<double> { report.Machine.Cores };
        for (var v = floor; v <= ceiling + 1e-9; v *= 2)
        {
            lines.Add(v);
        }

        foreach (var v in lines)
        {
            var marked = Math.Abs(v - 1) < 1e-9 || Math.Abs(v - report.Machine.Cores) < 1e-9;
            svg.AppendLine(F($"<line x1=\"{left}\" x2=\"{left + plotWidth}\" y1=\"{Y(v):0.#}\" y2=\"{Y(v):0.#}\" stroke=\"{(marked ? "#555" : "#e0e0e0")}\"{(marked ? " stroke-dasharray=\"4 3\"" : "")}/>"));
            svg.AppendLine(F($"<text x=\"{left - 6}\" y=\"{Y(v) + 4:0.#}\" text-anchor=\"end\">{v:0.##}x</text>"));
        }

        for (var g = 0; g < groups.Count; g++)
        {
            var x0 = left + (g * (groupWidth + groupGap)) + (groupGap / 2);
            foreach (var row in groups[g].Techniques)
            {
                if (row.Speedup is not { } speedup)
                {
                    continue;
                }

                var i = techniques.IndexOf(row.Name);
                var x = x0 + (i * barWidth);
                var y = Y(speedup);
                var title = WebUtility.HtmlEncode(F($"{groups[g].Name}, {row.Name}: {speedup:0.00}x, {Format.Timing(row)}"));
                svg.AppendLine(F($"<rect x=\"{x}\" y=\"{y:0.#}\" width=\"{barWidth - 2}\" height=\"{top + plotHeight - y:0.#}\" fill=\"{Color(i)}\"><title>{title}</title></rect>"));
            }

            svg.AppendLine(F($"<text x=\"{x0 + (groupWidth / 2)}\" y=\"{top + plotHeight + 16}\" text-anchor=\"middle\" font-weight=\"bold\">{WebUtility.HtmlEncode(groups[g].Name)}</text>"));
        }

        svg.AppendLine(F($"<line x1=\"{left}\" x2=\"{left}\" y1=\"{top}\" y2=\"{top + plotHeight}\" stroke=\"#333\"/>"));
        var legendTop = top + plotHeight + 36;
        for (var i = 0; i < techniques.Count; i++)
        {
            var x = left + (i % 3 * column);
            var y = legendTop + (i / 3 * legendRow);
            svg.AppendLine(F($"<rect x=\"{x}\" y=\"{y - 9}\" width=\"10\" height=\"10\" fill=\"{Color(i)}\"/>"));
            svg.AppendLine(F($"<text x=\"{x + 14}\" y=\"{y}\">{WebUtility.HtmlEncode(techniques[i])}</text>"));
        }

        svg.AppendLine("</svg>");
        return svg.ToString();
    }

    private static string Color(int i) => s_palette[i % s_palette.Length];

    private static string F(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
