using Spindle.Internal;

namespace Spindle.Processes;

/// <summary>
/// What the process executor's ordered and unordered Map share: pulling items from the source into batches sized by
/// <see cref="BatchSizer"/>, submitting each as one task, and the bound on items and batches in flight. The two differ
/// only in the order they take results back in.
/// </summary>
internal sealed class BatchFeed<TArg, TResult> : IDisposable
{
    private readonly ProcessExecutor _executor;
    private readonly FunctionRef _function;
    private readonly TaskOptions _taskOptions;
    private readonly int _maxInFlight;
    private readonly BatchSizer _sizer;

    // One token for everything this Map started: a failure, an early break by the consumer, or the caller's token
    // cancels the batches still in flight, so nothing outlives the enumeration.
    private readonly CancellationTokenSource _cts;
    private readonly IAsyncEnumerator<TArg> _enumerator;
    private int _itemsInFlight;
    private bool _more = true;

    public BatchFeed(ProcessExecutor executor, FunctionRef function, IAsyncEnumerable<TArg> source, MapOptions options, int maxInFlight, CancellationToken cancellationToken)
    {
        _executor = executor;
        _function = function;
        _taskOptions = options.Task;
        _maxInFlight = maxInFlight;
        _sizer = new BatchSizer(options.BatchSize, executor.MaxWorkers, maxInFlight);
        _cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        _enumerator = source.GetAsyncEnumerator(_cts.Token);
    }

    /// <summary>
    /// Pulls and submits the next batch if the bounds allow and the source has more; null otherwise.
    /// <paramref name="batchesInFlight"/> is how many the caller's window holds.
    /// </summary>
    public async ValueTask<(TArg[] Items, Task<BatchOutcome<TResult>> Task)?> NextAsync(int batchesInFlight)
    {
        if (!_more || _itemsInFlight >= _maxInFlight || batchesInFlight >= _sizer.MaxBatchesInFlight)
        {
            return null;
        }

        var batch = await NextBatch(_enumerator, Math.Min(_sizer.Next, _maxInFlight - _itemsInFlight));
        if (batch.Length == 0)
        {
            _more = false;
            return null;
        }

        _itemsInFlight += batch.Length;
        return (batch, _executor.SubmitBatch<TArg, TResult>(_function, batch, _taskOptions, _cts.Token));
    }

    /// <summary>Counts a batch whose outcome the caller has taken back.</summary>
    public void Returned(BatchOutcome<TResult> outcome, int items)
    {
        _itemsInFlight -= items;
        _sizer.Observe(outcome.Elapsed, items);
    }

    /// <summary>Cancels what is in flight and stops the source; the caller then waits quietly for its batches.</summary>
    public async ValueTask StopAsync()
    {
        await _cts.CancelAsync();
        await _enumerator.DisposeAsync();
    }

    public void Dispose() => _cts.Dispose();

    private static async Task<T[]> NextBatch<T>(IAsyncEnumerator<T> enumerator, int size)
    {
        var batch = new List<T>(Math.Min(size, 4096));
        while (batch.Count < size && await enumerator.MoveNextAsync())
        {
            batch.Add(enumerator.Current);
        }

        return [.. batch];
    }
}
