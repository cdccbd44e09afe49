using System.ComponentModel;
using System.Diagnostics;
using System.Text.Json;
using Spindle.Bench.Techniques;
using Spindle.Bench.Workloads;

namespace Spindle.Bench.Python;

/// <summary>
/// Runs spindle_bench.py, once per workload, for Python's serial, ThreadPoolExecutor, ProcessPoolExecutor and
/// asyncio techniques on the same inputs, and turns its figures into <see cref="TechniqueResult"/>s.
/// </summary>
internal sealed class PythonSide
{
    private readonly string _python;
    private readonly string _script;

    private PythonSide(string python, string version, string script)
    {
        _python = python;
        Version = version;
        _script = script;
    }

    public string Version { get; }

    /// <summary>Finds the interpreter; returns null and the reason when there is none, which the report shows as skipped.</summary>
    public static async Task<(PythonSide? Side, string? Skipped)> FindAsync(string? python, string scratchDirectory, CancellationToken cancellationToken)
    {
        if (python is null)
        {
            return (null, "Python was not asked for (--no-python).");
        }

        string version;
        try
        {
            var (code, output, error) = await RunAsync(python, ["--version"], null, cancellationToken);
            version = (output + error).Trim();
            if (code != 0 || !version.StartsWith("Python 3", StringComparison.Ordinal))
            {
                return (null, $"'{python}' is not a Python 3 interpreter (it answered '{version}', exit code {code}); pass --python with the path of python3.");
            }
        }
        catch (Win32Exception)
        {
            return (null, $"Python was not found: '{python}' is not on the PATH or does not exist; install python3 or pass --python with its path to compare with Python.");
        }

        Directory.CreateDirectory(scratchDirectory);
        var script = Path.Combine(scratchDirectory, "spindle_bench.py");
        await WriteScriptAsync(script, cancellationToken);

        return (new PythonSide(python, version, script), null);
    }

    /// <summary>Writes spindle_bench.py, embedded in this assembly, to <paramref name="path"/>.</summary>
    public static async Task WriteScriptAsync(string path, CancellationToken cancellationToken)
    {
        await using var resource = typeof(PythonSide).Assembly.GetManifestResourceStream("spindle_bench.py")!;
        await using var file = File.Create(path);
        await resource.CopyToAsync(file, cancellationToken);
    }

    public async Task<IReadOnlyList<TechniqueResult>> RunAsync(
        BenchWorkload workload, BenchOptions options, long[]? reference, string scratchDirectory, Action<string> onRun, CancellationToken cancellationToken)
    {
        var plan = Path.Combine(scratchDirectory, $"plan-{workload.Name}.json");
        var output = Path.Combine(scratchDirectory, $"out-{workload.Name}.json");
        await File.WriteAllTextAsync(plan, JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["workload"] = workload.Name,
            ["items"] = workload.PythonArgs,
            ["concurrency"] = workload.Concurrency,
            ["cores"] = Environment.ProcessorCount,
            ["repeats"] = options.Repeats,
            ["warmups"] = options.Warmups,
        }), cancellationToken);

        // The bench's own HTTP server serves Python's requests too; the host's CPU while Python runs (the server,
        // nearly all of it) is added to Python's runs in proportion to their wall time, so both sides count it.
        var hostCpu = Environment.CpuUsage.TotalTime;
        var clock = Stopwatch.StartNew();
        var (code, _, error) = await RunAsync(_python, [_script, plan, output], line =>
        {
            if (line.StartsWith("progress ", StringComparison.Ordinal))
            {
                onRun(line["progress ".Length..]);
            }
        }, cancellationToken);
        var hostCpuRate = (Environment.CpuUsage.TotalTime - hostCpu).TotalSeconds / Math.Max(clock.Elapsed.TotalSeconds, 1e-9);

        if (code != 0 || !File.Exists(output))
        {
            var tail = string.Join(" | ", error.Split('\n', StringSplitOptions.RemoveEmptyEntries).TakeLast(3));
            var reason = $"spindle_bench.py exited with code {code}: {tail}";
            return [.. TechniqueCatalog.PythonNames.Select(n => new TechniqueResult(n, "python", "Python", [], false, reason, null))];
        }

        using var document = JsonDocument.Parse(await File.ReadAllTextAsync(output, cancellationToken));
        var parsed = new List<(string Name, string Family, List<RunSample> Runs, bool Match, string? Error)>();
        foreach (var technique in document.RootElement.GetProperty("techniques").EnumerateArray())
        {
            var runs = technique.GetProperty("runs").EnumerateArray()
                .Select(r =>
                {
                    var wall = r.GetProperty("wall").GetDouble();
                    return new RunSample(wall, r.GetProperty("cpu").GetDouble() + (hostCpuRate * wall), r.GetProperty("peak").GetInt64());
                })
                .ToList();
            var errorText = technique.GetProperty("error").ValueKind == JsonValueKind.String ? technique.GetProperty("error").GetString() : null;
            var results = technique.GetProperty("results");
            var match = results.ValueKind == JsonValueKind.Array && reference is not null
                && results.EnumerateArray().Select(e => e.GetInt64()).SequenceEqual(reference);
            parsed.Add((technique.GetProperty("name").GetString()!, technique.GetProperty("family").GetString()!, runs, match, errorText));
        }

        var serial = parsed.FirstOrDefault(p => p.Family == "python-serial");
        double? serialMedian = serial.Runs is { Count: > 0 } && serial.Error is null
            ? new TechniqueResult("", "", "Python", serial.Runs, true, null, null).MedianSeconds
            : null;
        return [.. parsed.Select(p => new TechniqueResult(
            p.Name, p.Family, "Python", p.Runs, p.Match,
            p.Error ?? (p.Match ? null : reference is null ? "No .NET result to compare with." : "Its results differ from the .NET serial results."),
            serialMedian))];
    }

    private static async Task<(int Code, string Output, string Error)> RunAsync(string file, string[] args, Action<string>? onLine, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        // Unbuffered, so that progress lines arrive as they happen.
        start.Environment["PYTHONUNBUFFERED"] = "1";
        using var process = Process.Start(start)!;
        var output = new System.Text.StringBuilder();
        var readOut = Task.Run(async () =>
        {
            while (await process.StandardOutput.ReadLineAsync(cancellationToken) is { } line)
            {
                output.AppendLine(line);
                onLine?.Invoke(line);
            }
        }, cancellationToken);
        var readErr = process.StandardError.ReadToEndAsync(cancellationToken);
        try
        {
            await process.WaitForExitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            // A cancelled bench must not leave Python and its pool workers running.
            process.Kill(entireProcessTree: true);
            throw;
        }

        await readOut;
        return (process.ExitCode, output.ToString(), await readErr);
    }
}
