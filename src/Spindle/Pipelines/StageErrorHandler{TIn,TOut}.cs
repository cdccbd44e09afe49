namespace Spindle.Pipelines;

/// <summary>
/// A stage's error policy (<see cref="StageErrorPolicy"/>) at work: runs an item as a task of its own and decides what
/// its failure means: another attempt, a recorded failure the run skips, or the end of the run. Never throws.
/// </summary>
/// <remarks>
/// A batch task never applies the policy itself: a retry is a new task, which would make the executor's thread wait.
/// It hands its failed batch back to its loop, which calls <see cref="ApplyAsync"/>.
/// </remarks>
internal sealed class StageErrorHandler<TIn, TOut>(
    PipelineRunState run,
    string name,
    Executor executor,
    Func<Executor, TIn, TaskOptions, CancellationToken, Task<TOut>> submit,
    TaskOptions taskOptions,
    StageErrorPolicy errors,
    StageCounters counters)
{
    /// <summary>Runs one item under the error policy, this being attempt number <paramref name="attempt"/>. Not Ok means skipped, failed or stopped.</summary>
    public async Task<(bool Ok, TOut Value)> RunAsync(TIn item, int attempt, CancellationToken token)
    {
        Task<TOut> task;
        try
        {
            task = submit(executor, item, taskOptions, token);
        }
#pragma warning disable CA1031 // Every error is routed to the run; none may escape a stage.
        catch (Exception e)
#pragma warning restore CA1031
        {
            FailSubmit(item, e, 1);
            return default;
        }

        var startedAt = run.SinceStart;
        counters.Started(startedAt);
        try
        {
            var result = await task;
            counters.Ended(startedAt, run.SinceStart);
            return (true, result);
        }
#pragma warning disable CA1031 // The policy decides what a failed item means; the error reaches the caller through the run.
        catch (Exception e)
#pragma warning restore CA1031
        {
            counters.Ended(startedAt, run.SinceStart);
            return await AfterFailureAsync(item, e, attempt, token);
        }
    }

    /// <summary>Applies the error policy to a batch's items (all of them when <paramref name="outcomes"/> is null: the batch never ran). Returns the results, in order.</summary>
    public async Task<StageResults<TOut>> ApplyAsync(TIn[] items, Outcome<TOut>[]? outcomes, CancellationToken token)
    {
        var values = new TOut[items.Length];
        var count = 0;
        for (var i = 0; i < items.Length; i++)
        {
            var (ok, value) = outcomes is null ? await RunAsync(items[i], 1, token)
                : outcomes[i].Error is { } error ? await AfterFailureAsync(items[i], error, 1, token)
                : (true, outcomes[i].Value);
            if (ok)
            {
                values[count++] = value;
            }
        }

        return new StageResults<TOut>(count, default, values);
    }

    /// <summary>
    /// Submit itself refused work (the executor was shut down, or a process executor found work it cannot send):
    /// every item would be refused alike, so this ends the run whatever the policy.
    /// </summary>
    public void FailSubmit(TIn item, Exception error, int items)
    {
        for (var i = 0; i < items; i++)
        {
            counters.Failed();
        }

        run.Fail(new PipelineStageException(run.Name, name, item, hasItem: true, error,
            $"Stage '{name}' of pipeline '{run.Name}' could not submit its work to the executor '{executor.Name}', so the pipeline was cancelled: {error.Message}"));
    }

    /// <summary>Applies the error policy to an item whose attempt number <paramref name="attempt"/> failed.</summary>
    private async Task<(bool Ok, TOut Value)> AfterFailureAsync(TIn item, Exception error, int attempt, CancellationToken token)
    {
        if (token.IsCancellationRequested)
        {
            // The run is stopping; this item's error is a consequence, not a cause.
            return default;
        }

        if (attempt <= errors.Retries)
        {
            counters.Retried();
            return await RunAsync(item, attempt + 1, token);
        }

        counters.Failed();
        if (errors.SkipFailed)
        {
            run.Record(new StageFailure(name, item, error, attempt));
        }
        else
        {
            run.Fail(new PipelineStageException(run.Name, name, item, hasItem: true, error));
        }

        return default;
    }
}
