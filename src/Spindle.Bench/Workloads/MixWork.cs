namespace Spindle.Bench.Workloads;

/// <summary>A mix of all the other workloads, interleaved, as a real batch job often is. Mirrored in spindle_bench.py.</summary>
public static class MixWork
{
    /// <summary>Runs one item with blocking calls.</summary>
    public static long Run(MixItem item)
    {
        ArgumentNullException.ThrowIfNull(item);
        return item.Kind switch
        {
            "cpu" => CpuWork.CountPrimes(item.Number),
            "alloc" => AllocWork.BuildAndSum(item.Number),
            "file" => FileWork.ReadAndSum(item.Text),
            "http" => HttpWork.Get(item.Text),
            "wait" => WaitWork.Sleep(item.Number),
            _ => throw Unknown(item),
        };
    }

    /// <summary>Runs one item with async calls (CPU items compute inline).</summary>
    public static Task<long> RunAsync(MixItem item, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(item);
        return item.Kind switch
        {
            "cpu" => Task.FromResult(CpuWork.CountPrimes(item.Number)),
            "alloc" => Task.FromResult(AllocWork.BuildAndSum(item.Number)),
            "file" => FileWork.ReadAndSumAsync(item.Text, cancellationToken),
            "http" => HttpWork.GetAsync(item.Text, cancellationToken),
            "wait" => WaitWork.DelayAsync(item.Number, cancellationToken),
            _ => throw Unknown(item),
        };
    }

    private static ArgumentException Unknown(MixItem item) =>
        new($"The mix item kind '{item.Kind}' is unknown; use cpu, alloc, file, http or wait.", nameof(item));
}
