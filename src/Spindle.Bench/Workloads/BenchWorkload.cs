using Spindle.Bench.Techniques;

namespace Spindle.Bench.Workloads;

/// <summary>
/// One workload: a list of inputs and the same work written twice, as a blocking static method and as an async
/// one, so that every technique can run it (worker processes included: both are static, args and results plain).
/// </summary>
internal abstract class BenchWorkload
{
    private protected BenchWorkload(string name, string title, WorkloadKind kind, int concurrency)
    {
        Name = name;
        Title = title;
        Kind = kind;
        Concurrency = concurrency;
    }

    /// <summary>The short name used on the command line and in the JSON (cpu, alloc, files, http, waits, mix).</summary>
    public string Name { get; }

    /// <summary>A human description with its size, for the table and the report.</summary>
    public string Title { get; }

    /// <summary>Whether the work mostly computes or mostly waits.</summary>
    public WorkloadKind Kind { get; }

    /// <summary>How many items concurrent techniques run at once: one per core for CPU work, more for waiting work.</summary>
    public int Concurrency { get; }

    /// <summary>How many items one run processes.</summary>
    public abstract int Count { get; }

    /// <summary>The inputs as JSON-ready values for the Python side, in order.</summary>
    public abstract IReadOnlyList<object> PythonArgs { get; }

    /// <summary>Double dispatch: hands the typed workload to the technique.</summary>
    internal abstract Task<long[]> RunAsync(BenchTechnique technique, object? state, CancellationToken cancellationToken);
}
