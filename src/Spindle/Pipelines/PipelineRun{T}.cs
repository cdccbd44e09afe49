using Spindle.Internal;
namespace Spindle.Pipelines;

/// <summary>
/// One running pipeline: its results (read once, with <c>await foreach</c>), its live figures, and its completion.
/// Disposing it, or leaving the <c>await foreach</c> early, stops every stage and waits until none runs.
/// </summary>
public sealed class PipelineRun<T> : IAsyncEnumerable<T>, IAsyncDisposable
{
    private readonly PipelineRunState _state;
    private readonly System.Threading.Channels.ChannelReader<T> _results;
    private int _enumerated;

    internal PipelineRun(PipelineRunState state, System.Threading.Channels.ChannelReader<T> results)
    {
        _state = state;
        _results = results;
        _state.Sender = this;
        Completion = state.Begin();
    }

    /// <summary>
    /// Ends when every stage has stopped: with the final figures and skipped items, with the first fatal error
    /// (a <see cref="PipelineStageException"/>), or cancelled. Results not read stay in the last buffer, so a run
    /// whose results nobody reads stops when that buffer is full.
    /// </summary>
    public Task<PipelineResult> Completion { get; }

    /// <summary>The run's figures now.</summary>
    public PipelineProgress Progress => _state.Snapshot();

    /// <summary>Raised at <see cref="PipelineOptions.ProgressInterval"/> while the run lasts, and once more when it ends.</summary>
    public event EventHandler<PipelineProgress>? ProgressChanged
    {
        add => _state.ProgressChanged += value;
        remove => _state.ProgressChanged -= value;
    }

    /// <summary>Streams the results; at the end, rethrows the run's error, if any. A run's results can be read once.</summary>
    public async IAsyncEnumerator<T> GetAsyncEnumerator(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _enumerated, 1) != 0)
        {
            throw new InvalidOperationException($"The results of this run of pipeline '{_state.Name}' are already being read; they can be read once. Start another run to read them again.");
        }

        var finished = false;
        try
        {
            // A run that is stopping hands out no more results, even those already buffered: after a fail-fast
            // error the consumer sees the error next, not items that happened to be ahead of it.
            while (!_state.IsStopping && await _results.WaitToReadAsync(cancellationToken))
            {
                while (!_state.IsStopping && _results.TryRead(out var item))
                {
                    yield return item;
                }
            }

            finished = true;
        }
        finally
        {
            if (!finished)
            {
                // The consumer left early (a break, an exception, its token): stop every stage and wait until none runs.
                _state.Stop();
                await Quietly.Wait(Completion);
            }
        }

        await Completion;
    }

    /// <summary>Stops the run if it is still going and waits until no stage runs.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!Completion.IsCompleted)
        {
            _state.Stop();
        }

        await Quietly.Wait(Completion);
    }
}
