// A new user's first program with worker processes, timed: a fresh 2-worker executor to its first result, then the
// resident memory of its idle workers, first after tasks that carried ints and then after tasks that carried a record.
// Prints one JSON object of medians (seconds and MB). Usage: Spindle.NewUserApp [repeats]
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Spindle;

var repeats = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 5;
var figures = new Dictionary<string, List<double>>();
for (var round = -1; round < repeats; round++)
{
    var clock = Stopwatch.StartNew();
    var executor = Executor.Processes(new ProcessExecutorOptions { MaxWorkers = 2 });
    await executor.Submit(static (int x) => x + 1, 0);
    var firstResult = clock.Elapsed.TotalSeconds;

    // Enough tasks that both workers serve some, each answering with its pid.
    var pids = new HashSet<int>();
    for (var i = 0; i < 50 && pids.Count < 2; i++)
    {
        pids.UnionWith(await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => executor.Submit(static (int _) => Environment.ProcessId, 0))));
    }

    await Task.Delay(200);
    var rss = pids.Average(static pid => Kilobytes(pid, "/status", "VmRSS:")) / 1024;
    var privateMb = pids.Average(static pid => Kilobytes(pid, "/smaps_rollup", "Private_Clean:") + Kilobytes(pid, "/smaps_rollup", "Private_Dirty:")) / 1024;

    await Task.WhenAll(Enumerable.Range(0, 16).Select(i => executor.Submit(static (Order o) => o with { Total = o.Total * 2 }, new Order("ada", i))));
    await Task.Delay(200);
    var rssRecord = pids.Average(static pid => Kilobytes(pid, "/status", "VmRSS:")) / 1024;
    await executor.DisposeAsync();
    if (round < 0)
    {
        continue;
    }

    Add("first_result", firstResult);
    Add("idle_rss_mb", rss);
    Add("idle_private_mb", privateMb);
    Add("idle_rss_record_mb", rssRecord);
}

Console.WriteLine(JsonSerializer.Serialize(figures.ToDictionary(static f => f.Key, static f => Median(f.Value))));
return 0;

void Add(string name, double value)
{
    if (!figures.TryGetValue(name, out var list))
    {
        figures[name] = list = [];
    }

    list.Add(value);
    Console.Error.WriteLine($"{name,-20} {value,10:0.000}");
}

static double Median(List<double> values)
{
    var sorted = values.Order().ToArray();
    return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
}

static double Kilobytes(int pid, string file, string field) =>
    File.ReadLines($"/proc/{pid}{file}").Where(line => line.StartsWith(field, StringComparison.Ordinal))
        .Sum(static line => double.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture));

internal sealed record Order(string Customer, double Total);
