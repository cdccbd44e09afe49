using BenchmarkDotNet.Attributes;

namespace Spindle.Benchmarks.Threads;

/// <summary>
/// What the thread executor costs per task when the work itself costs nothing, against the TPL's own ways of
/// running many small pieces of work. Figures are per item (OperationsPerInvoke).
/// </summary>
[MemoryDiagnoser]
public class SubmitOverheadBenchmarks
{
    private const int Items = 10_000;

    private static readonly int[] s_items = [.. Enumerable.Range(0, Items)];

    private readonly Task<int>[] _tasks = new Task<int>[Items];
    private Executor _executor = null!;

    [GlobalSetup]
    public void Setup() =>
        _executor = Executor.Threads(new ThreadExecutorOptions { CpuThreads = Environment.ProcessorCount, Name = "bench" });

    [GlobalCleanup]
    public void Cleanup() => _executor.DisposeAsync().AsTask().GetAwaiter().GetResult();

    [Benchmark(Baseline = true, OperationsPerInvoke = Items, Description = "Parallel.ForEachAsync")]
    public Task ParallelForEachAsync() =>
        Parallel.ForEachAsync(s_items, static (x, _) =>
        {
            Trivial(x);
            return ValueTask.CompletedTask;
        });

    [Benchmark(OperationsPerInvoke = Items, Description = "Task.Run per item + WhenAll")]
    public Task<int[]> TaskRun()
    {
        for (var i = 0; i < Items; i++)
        {
            var x = i;
            _tasks[i] = Task.Run(() => Trivial(x));
        }

        return Task.WhenAll(_tasks);
    }

    [Benchmark(OperationsPerInvoke = Items, Description = "executor.Submit per item + WhenAll (CPU lane)")]
    public Task<int[]> Submit()
    {
        for (var i = 0; i < Items; i++)
        {
            _tasks[i] = _executor.Submit(static (int x) => Trivial(x), i);
        }

        return Task.WhenAll(_tasks);
    }

    [Benchmark(OperationsPerInvoke = Items, Description = "executor.Submit async per item + WhenAll (I/O lane)")]
    public Task<int[]> SubmitAsync()
    {
        for (var i = 0; i < Items; i++)
        {
            _tasks[i] = _executor.Submit(static (int x) => Task.FromResult(Trivial(x)), i);
        }

        return Task.WhenAll(_tasks);
    }

    [Benchmark(OperationsPerInvoke = Items, Description = "executor.Map (CPU lane)")]
    public async Task<long> Map()
    {
        long sum = 0;
        await foreach (var r in _executor.Map(static (int x) => Trivial(x), s_items))
        {
            sum += r;
        }

        return sum;
    }

    [Benchmark(OperationsPerInvoke = Items, Description = "executor.MapUnordered (CPU lane)")]
    public async Task<long> MapUnordered()
    {
        long sum = 0;
        await foreach (var (_, r) in _executor.MapUnordered(static (int x) => Trivial(x), s_items))
        {
            sum += r;
        }

        return sum;
    }

    private static int Trivial(int x) => x + 1;
}
