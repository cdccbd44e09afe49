using Spindle.Internal;

namespace Spindle.Processes;

// Map on processes sends items in batches (BatchedMap): one frame, one round trip and one wake-up per batch instead
// of per item (joblib's auto-batching idea), sized by BatchSizer to aim for a few milliseconds of work per batch.
// A BatchSize of 1 asks for a task per item: the general engine.
internal sealed partial class ProcessExecutor
{
    private protected override IAsyncEnumerable<TResult> MapCore<TArg, TResult>(Work<TArg, TResult> work, IAsyncEnumerable<TArg> source, MapOptions options, CancellationToken cancellationToken) =>
        options.BatchSize == 1
            ? base.MapCore(work, source, options, cancellationToken)
            : BatchedMap<TArg, TResult>.Ordered(Batches<TArg, TResult>(work, options, "Map"), Sizer(options), source, MaxInFlight(options), cancellationToken);

    private protected override IAsyncEnumerable<(TArg Input, TResult Result)> MapUnorderedCore<TArg, TResult>(Work<TArg, TResult> work, IAsyncEnumerable<TArg> source, MapOptions options, CancellationToken cancellationToken) =>
        options.BatchSize == 1
            ? base.MapUnorderedCore(work, source, options, cancellationToken)
            : BatchedMap<TArg, TResult>.Unordered(Batches<TArg, TResult>(work, options, "MapUnordered"), Sizer(options), source, MaxInFlight(options), cancellationToken);

    private WorkerBatches<TArg, TResult> Batches<TArg, TResult>(Work<TArg, TResult> work, MapOptions options, string method) =>
        new(this, FunctionRef.For(work.Original, method), options.Task);

    private BatchSizer Sizer(MapOptions options) =>
        new(BatchSizing.ProcessMap(_options.MaxWorkers, MaxInFlight(options)), options.BatchSize);

    /// <summary>Sends a Map's batches to the workers, each as one task.</summary>
    private sealed class WorkerBatches<TArg, TResult>(ProcessExecutor owner, FunctionRef function, TaskOptions options) : IMapBatchRunner<TArg, TResult>
    {
        public Executor Owner => owner;

        // Batches in flight are cancelled through the Map's token, and shutdown ends them itself.
        public CancellationToken StopToken => CancellationToken.None;

        // A few per worker keep each one busy while results travel back.
        public int MaxBatchesInFlight => 4 * owner._options.MaxWorkers;

        public Task<MapBatchOutcome<TResult>> Run(TArg[] items, int count, BatchSizer sizer, CancellationToken cancellationToken) =>
            owner.SubmitBatch<TArg, TResult>(function, count == items.Length ? items : items[..count], options, sizer, cancellationToken);
    }
}
