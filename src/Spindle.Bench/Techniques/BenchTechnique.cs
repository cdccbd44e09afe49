using Spindle.Bench.Workloads;

namespace Spindle.Bench.Techniques;

/// <summary>
/// One way of running a workload's items, named as the table shows it. Anything that can start once per
/// workload (an executor, a pool) is created in <see cref="StartAsync"/>, outside the timed runs.
/// </summary>
internal abstract class BenchTechnique(string name, string family)
{
    /// <summary>The name in the table, the report and the JSON.</summary>
    public string Name { get; } = name;

    /// <summary>serial, threads, processes, auto or tpl: what the verdicts compare.</summary>
    public string Family { get; } = family;

    /// <summary>Runs every item in order and returns the results in input order.</summary>
    public static BenchTechnique Serial() => new SerialTechnique();

    /// <summary>Runs the items through <c>Executor.Map</c> on an executor created once per workload.</summary>
    public static BenchTechnique OnExecutor(string name, string family, Func<BenchWorkload, Executor> create, WorkForm form = WorkForm.Natural, WorkKind? kind = null) =>
        new ExecutorTechnique(name, family, create, form, kind);

    /// <summary>The .NET baseline for blocking work: <c>Parallel.ForEach</c> over the sync shape.</summary>
    public static BenchTechnique ParallelForEach() => new ParallelForEachTechnique();

    /// <summary>The .NET baseline for async work: <c>Parallel.ForEachAsync</c> over the async shape.</summary>
    public static BenchTechnique ParallelForEachAsync() => new ParallelForEachAsyncTechnique();

    public virtual ValueTask<object?> StartAsync(BenchWorkload workload) => ValueTask.FromResult<object?>(null);

    public virtual ValueTask StopAsync(object? state) => ValueTask.CompletedTask;

    public abstract Task<long[]> RunAsync<TArg>(BenchWorkload<TArg> workload, object? state, CancellationToken cancellationToken);

    private sealed class SerialTechnique() : BenchTechnique("serial", "serial")
    {
        public override async Task<long[]> RunAsync<TArg>(BenchWorkload<TArg> workload, object? state, CancellationToken cancellationToken)
        {
            var results = new long[workload.Count];
            for (var i = 0; i < results.Length; i++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                results[i] = workload.NaturallyAsync
                    ? await workload.Async(workload.Items[i], cancellationToken)
                    : workload.Sync(workload.Items[i]);
            }

            return results;
        }
    }

    private sealed class ExecutorTechnique(string name, string family, Func<BenchWorkload, Executor> create, WorkForm form, WorkKind? kind)
        : BenchTechnique(name, family)
    {
        private readonly MapOptions _options = kind is null ? MapOptions.Default : new MapOptions { Task = new TaskOptions { Kind = kind } };

        public override ValueTask<object?> StartAsync(BenchWorkload workload) => ValueTask.FromResult<object?>(create(workload));

        public override async ValueTask StopAsync(object? state)
        {
            if (state is Executor executor)
            {
                await executor.DisposeAsync();
            }
        }

        public override async Task<long[]> RunAsync<TArg>(BenchWorkload<TArg> workload, object? state, CancellationToken cancellationToken)
        {
            var executor = (Executor)state!;
            var useAsync = form == WorkForm.Async || (form == WorkForm.Natural && workload.NaturallyAsync);
            var results = new long[workload.Count];
            var i = 0;

            // The static method itself is passed (never a wrapping lambda) so that a process executor can send it by reference.
            var stream = useAsync
                ? executor.Map(workload.Async, workload.Items, _options, cancellationToken)
                : executor.Map(workload.Sync, workload.Items, _options, cancellationToken);
            await foreach (var result in stream)
            {
                results[i++] = result;
            }

            return results;
        }
    }

    private sealed class ParallelForEachTechnique() : BenchTechnique("Parallel.ForEach", "tpl")
    {
        public override Task<long[]> RunAsync<TArg>(BenchWorkload<TArg> workload, object? state, CancellationToken cancellationToken)
        {
            var results = new long[workload.Count];
            var options = new ParallelOptions { MaxDegreeOfParallelism = workload.Concurrency, CancellationToken = cancellationToken };

            // Run off the caller's thread, as a caller would, so that the bench's own awaits are never blocked.
            return Task.Run(() =>
            {
                Parallel.ForEach(Enumerable.Range(0, results.Length), options, i => results[i] = workload.Sync(workload.Items[i]));
                return results;
            }, cancellationToken);
        }
    }

    private sealed class ParallelForEachAsyncTechnique() : BenchTechnique("Parallel.ForEachAsync", "tpl")
    {
        public override async Task<long[]> RunAsync<TArg>(BenchWorkload<TArg> workload, object? state, CancellationToken cancellationToken)
        {
            var results = new long[workload.Count];
            var options = new ParallelOptions { MaxDegreeOfParallelism = workload.Concurrency, CancellationToken = cancellationToken };
            await Parallel.ForEachAsync(Enumerable.Range(0, results.Length), options, async (i, token) =>
                results[i] = await workload.Async(workload.Items[i], token));
            return results;
        }
    }
}
