using System.Text.Json;

namespace Spindle.Benchmarks;

/// <summary>Finds the <see cref="IHarness"/> named on the command line, runs it and writes its medians as JSON.</summary>
internal static class HarnessRunner
{
    private static readonly JsonSerializerOptions s_json = new() { WriteIndented = true };

    public static async Task<int> RunAsync(string[] args)
    {
        var harnesses = typeof(HarnessRunner).Assembly.GetTypes()
            .Where(t => typeof(IHarness).IsAssignableFrom(t) && t is { IsAbstract: false, IsInterface: false })
            .Select(t => (IHarness)Activator.CreateInstance(t)!)
            .ToDictionary(h => h.Name, StringComparer.OrdinalIgnoreCase);

        if (args.Length == 0 || !harnesses.TryGetValue(args[0], out var harness))
        {
            var given = args.Length == 0 ? "nothing" : $"'{args[0]}'";
            await Console.Error.WriteLineAsync($"Name a harness to run (was {given}); known: {string.Join(", ", harnesses.Keys.Order())}.");
            return 2;
        }

        string? output = null;
        var repeats = 7;
        for (var i = 1; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--out" when i + 1 < args.Length:
                    output = args[++i];
                    break;
                case "--repeats" when i + 1 < args.Length && int.TryParse(args[i + 1], out var r) && r > 0:
                    repeats = r;
                    i++;
                    break;
                default:
                    await Console.Error.WriteLineAsync($"Unknown option '{args[i]}'; use --out <file.json> and --repeats <count greater than 0>.");
                    return 2;
            }
        }

        var medians = await harness.RunAsync(repeats, Console.Error);
        var json = JsonSerializer.Serialize(medians, s_json);
        if (output is null)
        {
            Console.WriteLine(json);
        }
        else
        {
            await File.WriteAllTextAsync(output, json);
        }

        return 0;
    }

    /// <summary>The median of <paramref name="values"/> (the mean of the middle two for an even count).</summary>
    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        var mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }
}
