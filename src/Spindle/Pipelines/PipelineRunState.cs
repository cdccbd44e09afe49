using System.Collections.Concurrent;
using System.Diagnostics;

namespace Spindle.Pipelines;

/// <summary>
/// What the parts of one run share: the token that stops them all, the first fatal error, the skipped items,
/// each stage's counters, and the executor the run owns (if any).
/// </summary>
internal sealed class PipelineRunState
{
    private readonly PipelineOptions _options;
    private readonly CancellationToken _callerToken;
    private readonly CancellationTokenSource _cts;
    private readonly ConcurrentQueue<StageFailure> _failures = new();
    private readonly List<Task> _parts = [];
    private readonly List<StageCounters> _stages = [];
    private readonly long _started = Stopwatch.GetTimestamp();
    private readonly Lock _progressLock = new();
    private Exception? _firstError;
    private Executor? _ownedExecutor;
    private long _sourcePulled;
    private Func<int> _resultsBuffered = static () => 0;
    private EventHandler<PipelineProgress>? _progressChanged;

    public PipelineRunState(PipelineOptions options, CancellationToken callerToken)
    {
        _options = options;
        _callerToken = callerToken;
        _cts = CancellationTokenSource.CreateLinkedTokenSource(callerToken);
    }

    public string Name => _options.Name;

    /// <summary>Cancelled by the caller's token, the first fatal error, or a consumer that stopped reading.</summary>
    public CancellationToken Token => _cts.Token;

    public event EventHandler<PipelineProgress>? ProgressChanged
    {
        add
        {
            lock (_progressLock)
            {
                _progressChanged += value;
            }
        }

        remove
        {
            lock (_progressLock)
            {
                _progressChanged -= value;
            }
        }
    }

    /// <summary>The object progress events name as their sender: the public run.</summary>
    public object? Sender { get; set; }

    public long SinceStart => Stopwatch.GetTimestamp() - _started;

    public Executor ExecutorFor(StageOptions stage) =>
        stage.On ?? _options.Executor ?? (_ownedExecutor ??= IdleExecutorShelf.Runs.Take());

    public void AddStage(StageCounters counters) => _stages.Add(counters);

    public void AddPart(Task part) => _parts.Add(part);

    public void SetResultsBuffer(Func<int> count) => _resultsBuffered = count;

    public void Pulled() => Interlocked.Increment(ref _sourcePulled);

    /// <summary>Ends the run with <paramref name="error"/> unless it is already ending; only the first error is surfaced.</summary>
    public void Fail(Exception error)
    {
        // Errors raised after the run began to stop are consequences of the stop (a worker cancelled mid-write,
        // say), not causes: the caller hears about the cause only.
        if (_cts.IsCancellationRequested)
        {
            return;
        }

        if (Interlocked.CompareExchange(ref _firstError, error, null) is null)
        {
            Cancel();
        }
    }

    public void Record(StageFailure failure)
    {
        if (!_cts.IsCancellationRequested)
        {
            _failures.Enqueue(failure);
        }
    }

    /// <summary>Whether the run has begun to stop early (an error, the caller's token, or its consumer).</summary>
    public bool IsStopping => _cts.IsCancellationRequested;

    /// <summary>Stops the run because its consumer no longer reads (an early break or a failed sink).</summary>
    public void Stop() => Cancel();

    private void Cancel()
    {
        try
        {
            _cts.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The run has already ended; there is nothing left to stop.
        }
    }

    public PipelineProgress Snapshot()
    {
        var since = SinceStart;
        var stages = new StageProgress[_stages.Count];
        for (var i = 0; i < stages.Length; i++)
        {
            stages[i] = _stages[i].Snapshot(since);
        }

        return new PipelineProgress(_options.Name, Stopwatch.GetElapsedTime(_started), Volatile.Read(ref _sourcePulled), stages, _resultsBuffered());
    }

    /// <summary>Starts the progress timer and the Metrics registration; called once every part has started.</summary>
    public Task<PipelineResult> Begin()
    {
        PipelineTelemetry.Register(this);
        return CompleteAsync(new Timer(static s => ((PipelineRunState)s!).RaiseProgress(), this, _options.ProgressInterval, _options.ProgressInterval));
    }

    private void RaiseProgress()
    {
        var handler = _progressChanged;
        handler?.Invoke(Sender ?? this, Snapshot());
    }

    private async Task<PipelineResult> CompleteAsync(Timer timer)
    {
        PipelineProgress final;
        try
        {
            // Every part catches its own errors and reports them through Fail, so this wait observes every task the
            // run started: none is left running and none is left unobserved.
            foreach (var part in _parts)
            {
                try
                {
                    await part;
                }
#pragma warning disable CA1031 // A part that broke its promise not to throw still fails the run, with its error.
                catch (Exception e)
#pragma warning restore CA1031
                {
                    Fail(e);
                }
            }

            if (_ownedExecutor is not null)
            {
                await IdleExecutorShelf.Runs.PutBackAsync(_ownedExecutor);
            }
        }
        finally
        {
            // DisposeAsync waits for a tick already running, so the final event below is the last one raised.
            await timer.DisposeAsync();
            PipelineTelemetry.Unregister(this);
            final = Snapshot();
            RaiseProgress();
            _cts.Dispose();
        }

        if (_firstError is { } error)
        {
            throw error;
        }

        _callerToken.ThrowIfCancellationRequested();
        if (_cts.IsCancellationRequested)
        {
            throw new OperationCanceledException($"The pipeline '{_options.Name}' was stopped by its consumer before it finished.");
        }

        return new PipelineResult(final, [.. _failures]);
    }
}
