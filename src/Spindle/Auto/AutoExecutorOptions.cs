using Spindle.Auto;
using Spindle.Internal;
namespace Spindle;

/// <summary>Settings for <see cref="Executor.Auto"/>; validated once, when the executor is created.</summary>
public sealed record AutoExecutorOptions
{
    /// <summary>The executor's name in metrics and logs.</summary>
    public string Name { get; init; } = "auto";

    /// <summary>Dedicated threads of the CPU lane; the default is the number of cores.</summary>
    public int CpuThreads { get; init; } = Environment.ProcessorCount;

    /// <summary>The I/O lane's concurrency starts here and never goes below it.</summary>
    public int MinIoConcurrency { get; init; } = 16;

    /// <summary>The I/O lane's concurrency grows while throughput grows, up to this.</summary>
    public int MaxIoConcurrency { get; init; } = 4096;

    /// <summary>Settings of the process lane; its workers start lazily, when work is first routed there.</summary>
    public ProcessExecutorOptions Processes { get; init; } = new() { Name = "auto processes", Start = WorkerStart.Lazy };

    /// <summary>How many calls of an undeclared function are measured before it is classified.</summary>
    public int ProfileCalls { get; init; } = 3;

    /// <summary>After classification, one call in this many is measured again, so a function whose behaviour changes is re-routed.</summary>
    public int SampleEvery { get; init; } = 16;

    /// <summary>A function whose CPU time is below this share of its wall time is I/O-bound.</summary>
    public double IoBoundBelowCpuShare { get; init; } = 0.5;

    /// <summary>A CPU-bound function allocating at least this many bytes per CPU-second is allocation-heavy.</summary>
    public double AllocationHeavyBytesPerCpuSecond { get; init; } = 1e9;

    /// <summary>
    /// Whether allocation-heavy CPU work goes to the process lane (separate GC heaps) instead of the CPU lane. The
    /// default follows what docs/benchmarks.md measured for .NET on 2 cores.
    /// </summary>
    public bool AllocationHeavyToProcesses { get; init; } = AutoDefaults.AllocationHeavyToProcesses;

    internal void Validate()
    {
        var problems = new ProblemList();
        if (string.IsNullOrWhiteSpace(Name))
        {
            problems.Add($"Name must not be empty (was '{Name}').");
        }

        if (CpuThreads <= 0)
        {
            problems.Add($"CpuThreads must be greater than 0 (was {CpuThreads}).");
        }

        if (MinIoConcurrency <= 0)
        {
            problems.Add($"MinIoConcurrency must be greater than 0 (was {MinIoConcurrency}).");
        }

        if (MaxIoConcurrency < MinIoConcurrency)
        {
            problems.Add($"MaxIoConcurrency must be at least MinIoConcurrency ({MinIoConcurrency}) (was {MaxIoConcurrency}).");
        }

        if (ProfileCalls <= 0)
        {
            problems.Add($"ProfileCalls must be greater than 0 (was {ProfileCalls}).");
        }

        if (SampleEvery <= 0)
        {
            problems.Add($"SampleEvery must be greater than 0 (was {SampleEvery}).");
        }

        if (IoBoundBelowCpuShare is <= 0 or >= 1)
        {
            problems.Add($"IoBoundBelowCpuShare must be between 0 and 1 (was {IoBoundBelowCpuShare}).");
        }

        if (Processes is null)
        {
            problems.Add("Processes must not be null; use new ProcessExecutorOptions().");
        }

        problems.ThrowIfAny("AutoExecutorOptions");
    }
}
