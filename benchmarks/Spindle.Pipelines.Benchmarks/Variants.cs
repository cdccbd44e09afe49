using System.Threading.Tasks.Dataflow;

namespace Spindle.Pipelines.Benchmarks;

/// <summary>The same pipeline written three ways: a serial loop, TPL Dataflow blocks, and a Spindle pipeline.</summary>
public static class Variants
{
    /// <summary>Items in each buffer between stages, the same for Dataflow and Spindle.</summary>
    public const int Buffer = 64;

    /// <summary>How many files each I/O stage reads or writes at once.</summary>
    public const int IoParallelism = 8;

    public static async Task SerialFilesAsync(IReadOnlyList<FileJob> jobs)
    {
        foreach (var job in jobs)
        {
            var chunk = await Workload.ReadAsync(job, CancellationToken.None);
            await Workload.WriteAsync(Workload.Hash(chunk), CancellationToken.None);
        }
    }

    public static async Task DataflowFilesAsync(IReadOnlyList<FileJob> jobs, int cpuParallelism, TaskScheduler? hashScheduler = null)
    {
        var read = new TransformBlock<FileJob, Chunk>(
            job => Workload.ReadAsync(job, CancellationToken.None),
            new ExecutionDataflowBlockOptions { MaxDegreeOfParallelism = IoParallelism, BoundedCapacity = Buffer });
        var hash = new TransformBlock<Chunk, Digest>(
            Workload.Hash,
            new ExecutionDataflowBlockOptions { MaxDegreeOfParallelism = cpuParallelism, BoundedCapacity = Buffer, TaskScheduler = hashScheduler ?? TaskScheduler.Default });
        // The last block is an ActionBlock, as Dataflow code writes a stage whose results nobody reads (the Spindle
        // variant's RunAsync() likewise drops them); a TransformBlock would need a draining block behind it.
        var write = new ActionBlock<Digest>(
            digest => Workload.WriteAsync(digest, CancellationToken.None),
            new ExecutionDataflowBlockOptions { MaxDegreeOfParallelism = IoParallelism, BoundedCapacity = Buffer });
        var link = new DataflowLinkOptions { PropagateCompletion = true };
        read.LinkTo(hash, link);
        hash.LinkTo(write, link);

        foreach (var job in jobs)
        {
            await read.SendAsync(job);
        }

        read.Complete();
        await write.Completion;
    }

    /// <summary>The Spindle pipeline; <paramref name="cpuParallelism"/> null takes the stage's default (on worker processes, two items per worker).</summary>
    public static async Task SpindleFilesAsync(IReadOnlyList<FileJob> jobs, int? cpuParallelism, Executor? cpuExecutor = null, bool hashOnPool = false)
    {
        var hash = new StageOptions { Parallelism = cpuParallelism, On = cpuExecutor };
        await Pipeline.From(jobs, new PipelineOptions { Name = "bench-files", BufferCapacity = Buffer })
            .Then("read", Workload.ReadAsync, new StageOptions { Parallelism = IoParallelism })
            .Then("hash", Workload.Hash, hashOnPool ? hash.OnIo() : hash.OnCpu())
            .Then("write", Workload.WriteAsync, new StageOptions { Parallelism = IoParallelism })
            .RunAsync();
    }

    public static long SerialTiny(int count)
    {
        long sum = 0;
        for (var i = 0; i < count; i++)
        {
            sum += Third(Second(First(i)));
        }

        return sum;
    }

    public static async Task<long> DataflowTinyAsync(int count, int parallelism)
    {
        var options = new ExecutionDataflowBlockOptions { MaxDegreeOfParallelism = parallelism, BoundedCapacity = Buffer };
        var first = new TransformBlock<int, int>(First, options);
        var second = new TransformBlock<int, int>(Second, options);
        var third = new TransformBlock<int, int>(Third, options);
        long sum = 0;
        var drain = new ActionBlock<int>(x => sum += x, new ExecutionDataflowBlockOptions { BoundedCapacity = Buffer });
        var link = new DataflowLinkOptions { PropagateCompletion = true };
        first.LinkTo(second, link);
        second.LinkTo(third, link);
        third.LinkTo(drain, link);
        for (var i = 0; i < count; i++)
        {
            await first.SendAsync(i);
        }

        first.Complete();
        await drain.Completion;
        return sum;
    }

    public static async Task<long> SpindleTinyAsync(int count, int parallelism)
    {
        long sum = 0;
        var options = new StageOptions { Parallelism = parallelism };
        await Pipeline.From(Enumerable.Range(0, count), new PipelineOptions { Name = "bench-tiny", BufferCapacity = Buffer })
            .Then("first", First, options)
            .Then("second", Second, options)
            .Then("third", Third, options)
            .RunAsync(x => sum += x);
        return sum;
    }

    private static int First(int x) => x + 1;

    private static int Second(int x) => x * 2;

    private static int Third(int x) => x - 1;
}
