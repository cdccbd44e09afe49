using System.Runtime.CompilerServices;

namespace Spindle.Bench.Workloads;

/// <summary>
/// Allocation-heavy CPU: builds many short-lived objects (a string and a node per step) and sums them, so the
/// garbage collector does much of the work. Threads share one GC heap; processes each have their own.
/// Mirrored in spindle_bench.py.
/// </summary>
public static class AllocWork
{
    /// <summary>Builds <paramref name="count"/> nodes with a formatted string each and returns a checksum.</summary>
    // Fully optimised from the first call: a run of a few items must not time tier-0 code against tier-1 code.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static long BuildAndSum(int count)
    {
        var nodes = new List<Node>();
        for (var i = 0; i < count; i++)
        {
            nodes.Add(new Node(i, ((long)i * 7919).ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }

        var total = 0L;
        foreach (var node in nodes)
        {
            total += (node.Value % 10) + node.Text.Length;
        }

        return total;
    }

    /// <summary>The same, shaped as async work.</summary>
    public static Task<long> BuildAndSumAsync(int count, CancellationToken cancellationToken) => Task.FromResult(BuildAndSum(count));

    private sealed record Node(long Value, string Text);
}
