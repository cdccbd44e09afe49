using Spindle.Bench.Techniques;

namespace Spindle.Bench.Workloads;

/// <summary>A workload with typed inputs; <see cref="Sync"/> and <see cref="Async"/> must be static methods.</summary>
internal sealed class BenchWorkload<TArg> : BenchWorkload
{
    internal BenchWorkload(
        string name,
        string title,
        WorkloadKind kind,
        int concurrency,
        IReadOnlyList<TArg> items,
        Func<TArg, long> sync,
        Func<TArg, CancellationToken, Task<long>> async,
        Func<TArg, object> toPython)
        : base(name, title, kind, concurrency)
    {
        Items = items;
        Sync = sync;
        Async = async;
        PythonArgs = [.. items.Select(toPython)];
    }

    /// <summary>The inputs, one per task.</summary>
    public IReadOnlyList<TArg> Items { get; }

    /// <summary>The work as a blocking static method (CPU work computes; I/O work blocks its thread).</summary>
    public Func<TArg, long> Sync { get; }

    /// <summary>The work as an async static method (I/O work awaits; CPU work computes inline).</summary>
    public Func<TArg, CancellationToken, Task<long>> Async { get; }

    /// <summary>Whether code written the ordinary way would be async: true for waiting work.</summary>
    public bool NaturallyAsync => Kind != WorkloadKind.Cpu;

    public override int Count => Items.Count;

    public override IReadOnlyList<object> PythonArgs { get; }

    internal override Task<long[]> RunAsync(BenchTechnique technique, object? state, CancellationToken cancellationToken) =>
        technique.RunAsync(this, state, cancellationToken);
}
