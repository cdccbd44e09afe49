using Spindle.Bench.Workloads;
using Spindle.Internal;

namespace Spindle.Bench;

/// <summary>Settings for <see cref="BenchRunner.RunAsync"/>; validated once, with every problem in one exception.</summary>
public sealed record BenchOptions
{
    /// <summary>The scale of every workload: 1 is the default size, 0.25 the quick one.</summary>
    public double Size { get; init; } = 1;

    /// <summary>Timed runs per workload and technique; the report shows their median and min–max.</summary>
    public int Repeats { get; init; } = 5;

    /// <summary>Untimed runs before the timed ones (JIT, pools, caches).</summary>
    public int Warmups { get; init; } = 1;

    /// <summary>Tasks in flight for waiting work (threads, asyncio, TPL); CPU work uses one per core.</summary>
    public int IoConcurrency { get; init; } = 64;

    /// <summary>The Python interpreter, a name looked up on the PATH or a path; null skips the Python side.</summary>
    public string? PythonPath { get; init; } = "python3";

    /// <summary>The workloads to run by name (cpu, alloc, files, http, waits, mix); empty runs them all.</summary>
    public IReadOnlyList<string> Workloads { get; init; } = [];

    /// <summary>Where the run's temporary files go (files to read, Python plans), deleted afterwards; null makes a new temporary directory.</summary>
    public string? ScratchDirectory { get; init; }

    /// <summary>The command line recorded in the report as the way to reproduce it.</summary>
    public string Command { get; init; } = "spindle bench";

    /// <summary>The quick form: a quarter of the default size, three timed runs; under a minute on 2 cores.</summary>
    public static BenchOptions Quick { get; } = new() { Size = 0.25, Repeats = 3 };

    internal void Validate()
    {
        var problems = new ProblemList();
        if (!(Size > 0) || Size > 100)
        {
            problems.Add($"Size must be greater than 0 and at most 100 (was {Size}); 1 is the default, 0.25 the quick size.");
        }

        if (Repeats < 1)
        {
            problems.Add($"Repeats must be at least 1 (was {Repeats}).");
        }

        if (Warmups < 0)
        {
            problems.Add($"Warmups must be 0 or more (was {Warmups}).");
        }

        if (IoConcurrency < 1)
        {
            problems.Add($"IoConcurrency must be at least 1 (was {IoConcurrency}).");
        }

        if (Workloads is null)
        {
            problems.Add("Workloads must not be null; use an empty list to run them all.");
        }
        else
        {
            foreach (var name in Workloads.Where(n => !WorkloadCatalog.Names.Contains(n)))
            {
                problems.Add($"The workload '{name}' is unknown; choose from {string.Join(", ", WorkloadCatalog.Names)}.");
            }
        }

        if (ScratchDirectory is not null && string.IsNullOrWhiteSpace(ScratchDirectory))
        {
            problems.Add("ScratchDirectory must not be blank; give a directory for the run's temporary files, or null for a new temporary one.");
        }

        problems.ThrowIfAny("BenchOptions");
    }
}
