using System.Diagnostics;
using System.Numerics;
using System.Runtime.InteropServices;
using Spindle.Sharing;

namespace Spindle.Benchmarks.Sharing;

/// <summary>
/// Issue 23's figures: 512 MiB of doubles handed to 2 workers and summed, shared (a handle) against copied (the
/// halves serialized); the hand-off of a small and of a 512 MiB array; queue items per second between two workers;
/// lock enter/exit pairs contended by two workers. Values are medians in seconds per round, except where the name
/// says otherwise.
/// </summary>
public sealed class SharingHarness : IHarness
{
    private const int Workers = 2;
    private const int Elements = 512 * 1024 * 1024 / sizeof(double);
    private const int HandOffs = 200;
    private const int QueueItems = 1_000_000;
    private const int LockPairs = 200_000;

    public string Name => "sharing";

    public async Task<IReadOnlyDictionary<string, double>> RunAsync(int repeats, TextWriter log)
    {
        ArgumentNullException.ThrowIfNull(log);
        var times = new Dictionary<string, List<double>>();
        void Add(string name, double value)
        {
            if (!times.TryGetValue(name, out var list))
            {
                times[name] = list = [];
            }

            list.Add(value);
            log.WriteLine($"{name,-28} {value,14:0.000000}");
        }

        await using var executor = Executor.Processes(new ProcessExecutorOptions { Name = "bench", MaxWorkers = Workers });
        await using var copying = Executor.Processes(new ProcessExecutorOptions { Name = "bench-copy", MaxWorkers = Workers, MaxFrameBytes = 1024 * 1024 * 1024 });
        await WarmAsync(executor);
        await WarmAsync(copying);

        using var array = SharedArray<double>.Create(Elements);
        var span = array.Span;
        for (var i = 0; i < span.Length; i++)
        {
            span[i] = i % 1000;
        }

        var expected = SharingBenchWork.Sum(array);
        var halves = array.Partition(Workers);
        using var small = SharedArray<double>.Create(8);

        // The first hand-off maps the segment in each worker and takes its page faults: reported on its own.
        var clock = Stopwatch.StartNew();
        Check(expected, (await Task.WhenAll(halves.Select(h => executor.Submit(SharingBenchWork.Sum, h)))).Sum());
        times["sum.shared.first"] = [clock.Elapsed.TotalSeconds];
        log.WriteLine($"sum.shared.first {clock.Elapsed.TotalSeconds:0.000000}");

        for (var round = 0; round < repeats; round++)
        {
            clock.Restart();
            Check(expected, SharingBenchWork.Sum(array));
            Add("sum.serial", clock.Elapsed.TotalSeconds);

            clock.Restart();
            Check(expected, (await Task.WhenAll(halves.Select(h => executor.Submit(SharingBenchWork.Sum, h)))).Sum());
            Add("sum.shared", clock.Elapsed.TotalSeconds);

            Add("handoff.small", await HandOffAsync(executor, small));
            Add("handoff.512mib", await HandOffAsync(executor, array));
            Add("handoff.int", await HandOffAsync(executor, null));

            Add("queue.items_per_s", QueueItems / await QueueAsync(executor));
            Add("lock.pair_ns", await LockAsync(executor) / (Workers * LockPairs) * 1e9);

            // The copied sum is slow (seconds), so it runs in at most 2 rounds.
            if (round < 2)
            {
                clock.Restart();
                var copies = halves.Select(h => h.ToArray()).ToArray();
                Check(expected, (await Task.WhenAll(copies.Select(c => copying.Submit(SharingBenchWork.SumCopy, c)))).Sum());
                Add("sum.copied", clock.Elapsed.TotalSeconds);
            }
        }

        return times.ToDictionary(p => p.Key, p => HarnessRunner.Median(p.Value));
    }

    private static void Check(double expected, double actual)
    {
        if (Math.Abs(expected - actual) > Math.Abs(expected) * 1e-9)
        {
            throw new InvalidOperationException($"The sum was {actual}, not {expected}.");
        }
    }

    /// <summary>Median time of one Submit round trip handing over <paramref name="array"/> (or an int, when null).</summary>
    private static async Task<double> HandOffAsync(Executor executor, SharedArray<double>? array)
    {
        var samples = new double[HandOffs];
        for (var i = 0; i < HandOffs; i++)
        {
            var clock = Stopwatch.StartNew();
            _ = array is null ? await executor.Submit(SharingBenchWork.Echo, i) : await executor.Submit(SharingBenchWork.Length, array);
            samples[i] = clock.Elapsed.TotalSeconds;
        }

        return HarnessRunner.Median(samples);
    }

    private static async Task<double> QueueAsync(Executor executor)
    {
        using var queue = SharedQueue<int>.Create(capacity: 4096, slotBytes: 8);
        var job = new SharingBenchWork.QueueJob(queue, QueueItems);
        var clock = Stopwatch.StartNew();
        var consumer = executor.Submit(SharingBenchWork.Consume, job);
        var producer = executor.Submit(SharingBenchWork.Produce, job);
        await producer;
        if (await consumer != QueueItems)
        {
            throw new InvalidOperationException("The queue lost items.");
        }

        return clock.Elapsed.TotalSeconds;
    }

    private static async Task<double> LockAsync(Executor executor)
    {
        using var sharedLock = SharedLock.Create();
        using var cell = SharedArray<long>.Create(1);
        using var start = SharedCounter.Create();
        var job = new SharingBenchWork.LockJob(sharedLock, cell, start, LockPairs);
        var results = await Task.WhenAll(executor.Submit(SharingBenchWork.Contend, job), executor.Submit(SharingBenchWork.Contend, job));
        if (cell[0] != Workers * LockPairs)
        {
            throw new InvalidOperationException($"The lock let {Workers * LockPairs - cell[0]} increments collide.");
        }

        // Each worker timed its own loop after both had started; the pair rate is over the longer of the two.
        return results.Max();
    }

    private static async Task WarmAsync(Executor executor)
    {
        while ((await Task.WhenAll(Enumerable.Range(0, Workers).Select(i => executor.Submit(SharingBenchWork.Pid, i)))).Distinct().Count() < Workers)
        {
        }
    }
}

/// <summary>The work the sharing harness's workers run.</summary>
public static class SharingBenchWork
{
    public static int Pid(int ignored) => Environment.ProcessId;

    public static int Echo(int value) => value;

    public static int Length(SharedArray<double> array) => array.Length;

    public static double Sum(SharedArray<double> part) => Sum(part.Span);

    public static double SumCopy(double[] part) => Sum(part.AsSpan());

    /// <summary>A vectorised sum with four accumulators, so that memory bandwidth is the limit rather than add latency.</summary>
    public static double Sum(ReadOnlySpan<double> values)
    {
        var vectors = MemoryMarshal.Cast<double, Vector<double>>(values);
        Vector<double> a = default, b = default, c = default, d = default;
        var i = 0;
        for (; i + 4 <= vectors.Length; i += 4)
        {
            a += vectors[i];
            b += vectors[i + 1];
            c += vectors[i + 2];
            d += vectors[i + 3];
        }

        for (; i < vectors.Length; i++)
        {
            a += vectors[i];
        }

        var sum = Vector.Sum(a + b + c + d);
        for (var j = vectors.Length * Vector<double>.Count; j < values.Length; j++)
        {
            sum += values[j];
        }

        return sum;
    }

    public static async Task<int> Produce(QueueJob job, CancellationToken token)
    {
        for (var i = 0; i < job.Items; i++)
        {
            await job.Queue.Writer.WriteAsync(i, token);
        }

        job.Queue.Writer.Complete();
        return job.Items;
    }

    public static async Task<int> Consume(QueueJob job, CancellationToken token)
    {
        var count = 0;
        await foreach (var _ in job.Queue.Reader.ReadAllAsync(token))
        {
            count++;
        }

        return count;
    }

    /// <summary>Enters and exits the lock <see cref="LockJob.Pairs"/> times once both workers are here; returns its own seconds.</summary>
    public static double Contend(LockJob job)
    {
        job.Started.Increment();
        while (job.Started.Value < 2)
        {
            Thread.SpinWait(10);
        }

        var clock = Stopwatch.StartNew();
        for (var i = 0; i < job.Pairs; i++)
        {
            job.Lock.Enter();
            job.Cell[0]++;
            job.Lock.Exit();
        }

        return clock.Elapsed.TotalSeconds;
    }

    public sealed record QueueJob(SharedQueue<int> Queue, int Items);

    public sealed record LockJob(SharedLock Lock, SharedArray<long> Cell, SharedCounter Started, int Pairs);
}
