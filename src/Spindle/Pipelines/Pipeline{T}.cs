using System.Collections.Immutable;
using Spindle.Internal;

namespace Spindle.Pipelines;

/// <summary>
/// An immutable description of a pipeline whose items are <typeparamref name="T"/> at its end: each
/// <c>Then</c> returns a new, longer pipeline; <see cref="Start"/> and <c>RunAsync</c> run it (each run pulls the source afresh).
/// </summary>
/// <remarks>
/// Each stage hands its work to <c>Executor.Submit</c> unchanged, item by item, so work given to a stage that runs on
/// worker processes must be what Submit accepts there: a static method or a <c>static</c> lambda with serializable
/// items and results.
/// </remarks>
public sealed class Pipeline<T>
{
    private readonly PipelineOptions _options;
    private readonly SourceDefinition _source;
    private readonly ImmutableArray<StageDefinition> _stages;

    internal Pipeline(PipelineOptions options, SourceDefinition source, ImmutableArray<StageDefinition> stages)
    {
        _options = options;
        _source = source;
        _stages = stages;
    }

    /// <summary>The pipeline's settings.</summary>
    public PipelineOptions Options => _options;

    /// <summary>The names of the stages, in order.</summary>
    public IReadOnlyList<string> Stages => [.. _stages.Select(static s => s.Name)];

    /// <summary>Adds a stage of synchronous work (the CPU lane on threads, unless <see cref="StageOptions.Kind"/> says otherwise).</summary>
    public Pipeline<TNext> Then<TNext>(string name, Func<T, TNext> work, StageOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(work);
        return Add(name, options,
            (executor, item, taskOptions, token) => executor.Submit(work, item, taskOptions, token),
            Work<T, TNext>.Of(work));
    }

    /// <summary>Adds a stage of synchronous work that observes a token.</summary>
    public Pipeline<TNext> Then<TNext>(string name, Func<T, CancellationToken, TNext> work, StageOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(work);
        return Add(name, options,
            (executor, item, taskOptions, token) => executor.Submit(work, item, taskOptions, token),
            Work<T, TNext>.Of(work));
    }

    /// <summary>Adds a stage of asynchronous work (the I/O lane on threads, unless <see cref="StageOptions.Kind"/> says otherwise).</summary>
    public Pipeline<TNext> Then<TNext>(string name, Func<T, Task<TNext>> work, StageOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(work);
        return Add(name, options,
            (executor, item, taskOptions, token) => executor.Submit(work, item, taskOptions, token),
            Work<T, TNext>.Of(work));
    }

    /// <summary>Adds a stage of asynchronous work that observes a token.</summary>
    public Pipeline<TNext> Then<TNext>(string name, Func<T, CancellationToken, Task<TNext>> work, StageOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(work);
        return Add(name, options,
            (executor, item, taskOptions, token) => executor.Submit(work, item, taskOptions, token),
            Work<T, TNext>.Of(work));
    }

    /// <summary>
    /// Starts a run and returns it at once: read its results with <c>await foreach</c> (once), or await its
    /// <see cref="PipelineRun{T}.Completion"/>. Cancelling <paramref name="cancellationToken"/> stops every stage.
    /// </summary>
    public PipelineRun<T> Start(CancellationToken cancellationToken = default) => StartRun(discardResults: false, cancellationToken);

    /// <summary>Runs the pipeline to its end, discarding its results (for pipelines whose last stage writes them itself).</summary>
    public async Task<PipelineResult> RunAsync(CancellationToken cancellationToken = default)
    {
        // Nobody reads the results, so the last stage drops them as it passes them on instead of waking a reader
        // for each; the run ends as every run does, with its figures or its first error.
        await using var run = StartRun(discardResults: true, cancellationToken);
        return await run.Completion;
    }

    private PipelineRun<T> StartRun(bool discardResults, CancellationToken cancellationToken)
    {
        var state = new PipelineRunState(_options, cancellationToken);

        // The buffer in front of stage i is created by whoever feeds it, with stage i's capacity; the last
        // buffer holds results for the consumer.
        var capacities = new int[_stages.Length + 1];
        for (var i = 0; i < _stages.Length; i++)
        {
            capacities[i] = _stages[i].Options.BufferCapacity ?? _options.BufferCapacity;
        }

        capacities[^1] = _options.BufferCapacity;
        var reader = _source.Start(state, capacities[0], discardResults && _stages.Length == 0);
        for (var i = 0; i < _stages.Length; i++)
        {
            reader = _stages[i].Start(state, reader, capacities[i], capacities[i + 1], discardResults && i == _stages.Length - 1);
        }

        var results = (System.Threading.Channels.ChannelReader<T>)reader;
        state.SetResultsBuffer(() => results.Count);
        return new PipelineRun<T>(state, results);
    }

    /// <summary>Runs the pipeline to its end, handing each result to <paramref name="sink"/> in turn; returns the final figures and skipped items.</summary>
    public async Task<PipelineResult> RunAsync(Func<T, CancellationToken, ValueTask> sink, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(sink);
        var run = Start(cancellationToken);
        PipelineStageException? sinkError = null;
        await foreach (var item in run)
        {
            try
            {
                await sink(item, cancellationToken);
            }
            catch (Exception e) when (!(e is OperationCanceledException && cancellationToken.IsCancellationRequested))
            {
                // Leaving the loop stops the run and waits for every stage to end before the error is thrown.
                sinkError = new PipelineStageException(_options.Name, "sink", item, hasItem: true, e);
                break;
            }
        }

        if (sinkError is not null)
        {
            throw sinkError;
        }

        return await run.Completion;
    }

    /// <summary>Runs the pipeline to its end, handing each result to <paramref name="sink"/> in turn.</summary>
    public Task<PipelineResult> RunAsync(Action<T> sink, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(sink);
        return RunAsync((item, _) =>
        {
            sink(item);
            return ValueTask.CompletedTask;
        }, cancellationToken);
    }

    private Pipeline<TNext> Add<TNext>(
        string name,
        StageOptions? options,
        Func<Executor, T, TaskOptions, CancellationToken, Task<TNext>> submit,
        Work<T, TNext> batchWork)
    {
        options ??= StageOptions.Default;
        var problems = new ProblemList();
        if (string.IsNullOrWhiteSpace(name))
        {
            problems.Add($"The stage's name must not be empty (was '{name}'); name it after its work, such as \"parse\".");
        }
        else if (name is "source" or "sink" || _stages.Any(s => s.Name == name))
        {
            problems.Add($"The name '{name}' is already taken in pipeline '{_options.Name}' (stages: {string.Join(", ", ["source", .. _stages.Select(static s => s.Name), "sink"])}); give each stage its own name.");
        }

        options.Validate(problems, _options.Executor);
        problems.ThrowIfAny($"The options of stage '{name}'");
        return new Pipeline<TNext>(_options, _source, _stages.Add(new StageDefinition<T, TNext>(name, options, submit, batchWork)));
    }
}
