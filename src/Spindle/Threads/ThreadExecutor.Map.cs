using Spindle.Internal;

namespace Spindle.Threads;

// Map for synchronous work on the CPU lane, in batches. The general engine (Executor's per-item Map) makes one task
// per item, which is right for async work and slow items but costs several hundred nanoseconds per item; for tiny
// items that cost is the whole run. Here consecutive items go to a lane thread together (BatchedMap, sized by
// BatchSizer from measured item times), so tiny items approach the cost of Parallel.ForEachAsync while slow items
// still go one by one and spread over every thread.
internal sealed partial class ThreadExecutor
{
    private protected override IAsyncEnumerable<TResult> MapCore<TArg, TResult>(Work<TArg, TResult> work, IAsyncEnumerable<TArg> source, MapOptions options, CancellationToken cancellationToken) =>
        Batchable(work, options)
            ? BatchedMap<TArg, TResult>.Ordered(new LaneBatches<TArg, TResult>(this, work.Sync!), Sizer(options), source, MaxInFlight(options), cancellationToken)
            : base.MapCore(work, source, options, cancellationToken);

    private protected override IAsyncEnumerable<(TArg Input, TResult Result)> MapUnorderedCore<TArg, TResult>(Work<TArg, TResult> work, IAsyncEnumerable<TArg> source, MapOptions options, CancellationToken cancellationToken) =>
        Batchable(work, options)
            ? BatchedMap<TArg, TResult>.Unordered(new LaneBatches<TArg, TResult>(this, work.Sync!), Sizer(options), source, MaxInFlight(options), cancellationToken)
            : base.MapUnorderedCore(work, source, options, cancellationToken);

    // Only sync work bound for the CPU lane, without a per-item timeout, is batched: async work waits rather than
    // computes, a timeout is per task, and other kinds go elsewhere.
    private static bool Batchable<TArg, TResult>(Work<TArg, TResult> work, MapOptions options) =>
        work.Sync is not null && options.Task.Kind is null or WorkKind.CpuBound && options.Task.Timeout is null;

    // Listeners of ProgressChanged expect an event per item; batches of one keep that promise.
    private BatchSizer Sizer(MapOptions options) =>
        new(BatchSizing.CpuLaneMap(_cpu.Concurrency, MaxInFlight(options)), Tracker.HasListeners ? 1 : options.BatchSize);

    /// <summary>Runs a Map's batches on the CPU lane, each as one work item.</summary>
    private sealed class LaneBatches<TArg, TResult>(ThreadExecutor owner, Func<TArg, CancellationToken, TResult> work) : IMapBatchRunner<TArg, TResult>
    {
        public Executor Owner => owner;

        public CancellationToken StopToken => owner.StopToken;

        // The lane's queue takes any number; only the bound on items in flight applies.
        public int MaxBatchesInFlight => int.MaxValue;

        public Task<MapBatchOutcome<TResult>> Run(TArg[] items, int count, BatchSizer sizer, CancellationToken cancellationToken)
        {
            // A batch is one unit of accepted work for shutdown, and count queued tasks for progress.
            owner.AcceptTask();
            owner.Tracker.Queued(count);
            var batch = new ThreadBatch<TArg, TResult>(owner, owner._cpu, work, items, count, sizer, cancellationToken);
            owner._cpu.Enqueue(batch);
            return batch.Task;
        }
    }
}
