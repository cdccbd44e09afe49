using Spindle.Internal;
namespace Spindle;

/// <summary>Settings for <see cref="Executor.Threads"/>; validated once, when the executor is created.</summary>
public sealed record ThreadExecutorOptions
{
    /// <summary>The executor's name in metrics and logs.</summary>
    public string Name { get; init; } = "threads";

    /// <summary>How many async tasks the I/O lane runs at once (no thread is held per task).</summary>
    public int IoConcurrency { get; init; } = 256;

    /// <summary>How many dedicated threads the CPU lane owns; they never borrow from the shared ThreadPool.</summary>
    public int CpuThreads { get; init; } = Environment.ProcessorCount;

    internal void Validate()
    {
        var problems = new ProblemList();
        if (string.IsNullOrWhiteSpace(Name))
        {
            problems.Add($"Name must not be empty (was '{Name}'); give the executor a name such as \"threads\".");
        }

        if (IoConcurrency <= 0)
        {
            problems.Add($"IoConcurrency must be greater than 0 (was {IoConcurrency}).");
        }

        if (CpuThreads <= 0)
        {
            problems.Add($"CpuThreads must be greater than 0 (was {CpuThreads}); the default is the number of cores ({Environment.ProcessorCount}).");
        }

        problems.ThrowIfAny("ThreadExecutorOptions");
    }
}
