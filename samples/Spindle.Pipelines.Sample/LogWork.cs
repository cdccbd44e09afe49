using System.Globalization;
using System.Text.Json;

namespace Spindle.Pipelines.Sample;

/// <summary>A log file's lines, as the read stage hands them on.</summary>
public sealed record LogFile(string Path, string[] Lines);

/// <summary>What the aggregate stage computes for one log file.</summary>
public sealed record LogSummary(string File, int Requests, int Errors, int P50Ms, int P95Ms, string BusiestPath, int BusiestCount);

/// <summary>
/// The work of each stage, as static methods over serializable records, so that any stage can move to worker
/// processes by changing its StageOptions only.
/// </summary>
public static class LogWork
{
    private static readonly string[] s_paths = ["/users", "/orders", "/search", "/cart", "/login", "/health"];

    /// <summary>I/O: reads a whole log file.</summary>
    public static async Task<LogFile> ReadAsync(string path, CancellationToken token) =>
        new(path, await File.ReadAllLinesAsync(path, token));

    /// <summary>CPU: parses every line and aggregates the file's requests, errors, latency percentiles and busiest path.</summary>
    public static LogSummary Aggregate(LogFile file)
    {
        var latencies = new List<int>(file.Lines.Length);
        var byPath = new Dictionary<string, int>(StringComparer.Ordinal);
        var errors = 0;
        foreach (var line in file.Lines)
        {
            // 2026-01-01T00:00:00.000Z GET /users/42 200 12ms
            var parts = line.Split(' ');
            if (parts.Length != 5 || !parts[4].EndsWith("ms", StringComparison.Ordinal))
            {
                throw new FormatException($"{Path.GetFileName(file.Path)}: cannot parse line '{line}'.");
            }

            var status = int.Parse(parts[3], CultureInfo.InvariantCulture);
            errors += status >= 500 ? 1 : 0;
            latencies.Add(int.Parse(parts[4].AsSpan(0, parts[4].Length - 2), CultureInfo.InvariantCulture));
            var route = parts[2][..parts[2].IndexOf('/', 1)];
            byPath[route] = byPath.GetValueOrDefault(route) + 1;
        }

        latencies.Sort();
        var busiest = byPath.MaxBy(static p => p.Value);
        return new LogSummary(
            Path.GetFileName(file.Path),
            latencies.Count,
            errors,
            latencies[latencies.Count / 2],
            latencies[latencies.Count * 95 / 100],
            busiest.Key,
            busiest.Value);
    }

    /// <summary>I/O: writes the summary as JSON next to the log file.</summary>
    public static async Task<LogSummary> WriteAsync(LogSummary summary, CancellationToken token)
    {
        var dir = Path.Combine(Path.GetTempPath(), "spindle-pipeline-sample", "summaries");
        Directory.CreateDirectory(dir);
        await using var stream = File.Create(Path.Combine(dir, summary.File + ".json"));
        await JsonSerializer.SerializeAsync(stream, summary, cancellationToken: token);
        return summary;
    }

    /// <summary>Writes <paramref name="files"/> log files of <paramref name="lines"/> lines each; the one numbered <paramref name="corrupt"/> gets a bad line.</summary>
    public static string[] Generate(string dir, int files, int lines, int corrupt)
    {
        Directory.CreateDirectory(dir);
        var paths = new string[files];
        var random = new Random(42);
        var start = new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        for (var f = 0; f < files; f++)
        {
            paths[f] = Path.Combine(dir, $"app-{f:D2}.log");
            using var writer = new StreamWriter(paths[f]);
            for (var i = 0; i < lines; i++)
            {
                if (f == corrupt && i == lines / 2)
                {
                    writer.WriteLine("-- log rotated mid-line --");
                    continue;
                }

                var status = random.Next(100) switch { < 2 => 503, < 8 => 404, _ => 200 };
                var latency = (int)Math.Exp(random.NextDouble() * 6);
                var path = s_paths[random.Next(s_paths.Length)];
                writer.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{start.AddMilliseconds(i * 37):yyyy-MM-ddTHH:mm:ss.fffZ} GET {path}/{random.Next(1000)} {status} {latency}ms"));
            }
        }

        return paths;
    }
}
