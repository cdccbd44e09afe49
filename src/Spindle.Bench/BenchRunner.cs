using System.Diagnostics;
using Spindle.Bench.Measuring;
using Spindle.Bench.Python;
using Spindle.Bench.Reporting;
using Spindle.Bench.Techniques;
using Spindle.Bench.Workloads;

namespace Spindle.Bench;

/// <summary>
/// Runs every workload on every technique — serial, Spindle's lanes, raw TPL and, when python3 is present,
/// Python's own techniques on the same inputs — and derives a verdict per workload from the figures.
/// </summary>
public static class BenchRunner
{
    /// <summary>Runs the bench; progress is reported before each run. Write the files with <see cref="BenchFiles.WriteAsync"/>.</summary>
    public static async Task<BenchReport> RunAsync(BenchOptions options, IProgress<BenchProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var startedAt = DateTimeOffset.Now;
        var clock = Stopwatch.StartNew();
        // Only a directory the run made itself is deleted afterwards; a caller's directory keeps whatever else it holds.
        var owned = options.ScratchDirectory is null;
        var scratch = options.ScratchDirectory ?? Directory.CreateTempSubdirectory("spindle-bench-").FullName;
        Directory.CreateDirectory(scratch);
        try
        {
            var (python, skipped) = await PythonSide.FindAsync(options.PythonPath, scratch, cancellationToken);
            var machine = MachineInfo.Current(python?.Version);
            var techniques = TechniqueCatalog.DotNet();
            await using var catalog = WorkloadCatalog.Create(options.Size, options.IoConcurrency, options.Workloads.ToHashSet(), scratch);

            var perTechnique = options.Warmups + options.Repeats;
            var total = catalog.Workloads.Count * (techniques.Count + (python is null ? 0 : TechniqueCatalog.PythonNames.Count)) * perTechnique;
            var done = 0;
            void Report(string workload, string technique) => progress?.Report(new BenchProgress(workload, technique, done, total));

            var results = new List<WorkloadResult>();
            foreach (var workload in catalog.Workloads)
            {
                // The HTTP server runs on this process's ThreadPool; blocking clients (Parallel.ForEach over HttpClient.Send)
                // can starve it until requests time out, which measures the bench, not the technique. Until the server
                // moves to its own process, the pool's minimum is raised for the workloads that talk to it (noted in the report).
                ThreadPool.GetMinThreads(out var minWorkers, out var minIo);
                var usesServer = workload.Name is "http" or "mix";
                if (usesServer)
                {
                    ThreadPool.SetMinThreads(Math.Max(minWorkers, workload.Concurrency + Environment.ProcessorCount), minIo);
                }

                var rows = new List<TechniqueResult>();
                long[]? reference = null;
                double? serialMedian = null;
                foreach (var technique in techniques)
                {
                    var row = await MeasureAsync(workload, technique, options, reference, serialMedian, () =>
                    {
                        Report(workload.Title, technique.Name);
                        done++;
                    }, cancellationToken);
                    reference ??= row.Results;
                    if (technique.Family == "serial" && row.Result.Ok)
                    {
                        serialMedian = row.Result.MedianSeconds;
                    }

                    rows.Add(row.Result);
                }

                // The serial run is the baseline of every speedup; rows measured before it knew its median are fixed up here.
                rows = [.. rows.Select(r => r with { SerialMedianSeconds = serialMedian })];

                if (python is not null)
                {
                    Report(workload.Title, TechniqueCatalog.PythonNames[0]);
                    rows.AddRange(await python.RunAsync(workload, options, reference, scratch, technique =>
                    {
                        done++;
                        Report(workload.Title, technique);
                    }, cancellationToken));
                }

                if (usesServer)
                {
                    ThreadPool.SetMinThreads(minWorkers, minIo);
                }

                results.Add(Verdicts.ForWorkload(workload, rows));
            }

            progress?.Report(new BenchProgress("", "done", total, total));
            var settings = new BenchSettings(options.Size, options.Repeats, options.Warmups, options.IoConcurrency, options.Command);
            var report = new BenchReport(machine, settings, results, skipped, [], startedAt, clock.Elapsed.TotalSeconds);
            report = report with { Findings = Verdicts.Findings(report) };
            return report;
        }
        finally
        {
            try
            {
                if (owned)
                {
                    Directory.Delete(scratch, recursive: true);
                }
            }
            catch (IOException)
            {
                // Leftover scratch files are harmless; failing a finished bench over them is not.
            }
        }
    }

    /// <summary>The first failure and its causes in one line (an AggregateException's own message says nothing).</summary>
    private static string Describe(Exception e)
    {
        if (e is AggregateException { InnerExceptions.Count: > 0 } aggregate)
        {
            var count = aggregate.InnerExceptions.Count;
            return (count > 1 ? $"{count} failures, the first: " : "") + Describe(aggregate.InnerExceptions[0]);
        }

        var text = $"{e.GetType().Name}: {e.Message}";
        for (var inner = e.InnerException; inner is not null; inner = inner.InnerException)
        {
            text += $" ({inner.GetType().Name}: {inner.Message})";
        }

        return text;
    }

    private static async Task<(TechniqueResult Result, long[]? Results)> MeasureAsync(
        BenchWorkload workload, BenchTechnique technique, BenchOptions options, long[]? reference, double? serialMedian, Action beforeRun, CancellationToken cancellationToken)
    {
        var runs = new List<RunSample>();
        long[]? last = null;
        object? state = null;
        try
        {
            state = await technique.StartAsync(workload);
            for (var i = 0; i < options.Warmups; i++)
            {
                beforeRun();
                last = await workload.RunAsync(technique, state, cancellationToken);
            }

            for (var i = 0; i < options.Repeats; i++)
            {
                beforeRun();

                // Each run starts from a collected heap, so one run's garbage is not charged to the next.
                GC.Collect();
                GC.WaitForPendingFinalizers();
                ProcessMeter.ResetPeaks();
                var cpu = ProcessMeter.CpuSeconds();
                var clock = Stopwatch.StartNew();
                last = await workload.RunAsync(technique, state, cancellationToken);
                var wall = clock.Elapsed.TotalSeconds;
                runs.Add(new RunSample(wall, ProcessMeter.CpuSeconds() - cpu, ProcessMeter.PeakBytes()));
            }
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // One failing technique must not hide the others' figures; the report names its error.
            return (new TechniqueResult(technique.Name, technique.Family, ".NET", runs, false, Describe(e), serialMedian), null);
        }
        finally
        {
            await technique.StopAsync(state);
        }

        var match = reference is null || (last is not null && last.AsSpan().SequenceEqual(reference));
        var error = match ? null : "Its results differ from the serial results.";
        return (new TechniqueResult(technique.Name, technique.Family, ".NET", runs, match, error, serialMedian), last);
    }
}
