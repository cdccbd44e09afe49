using System.Threading.Channels;

namespace Spindle.Pipelines;

/// <summary>
/// Runs one stage of one run: takes items from its input buffer, submits each to the stage's executor, applies
/// the error policy, and writes results to its output buffer, in input order or as they complete.
/// </summary>
/// <remarks>
/// <code>
///  input buffer ──► feeder ──(slot: at most Parallelism items running)──► executor.Submit(work, item)
///                                                                               │
///  unordered: each item, once done, writes its own result ──────────────────────┤──► output buffer
///  ordered:   the feeder queues each item's task in a small order queue; the   │
///             emitter awaits them in turn and writes their results ────────────┘
/// </code>
/// Every buffer is bounded: a full output buffer stops the writer, which keeps the slots (unordered) or the order
/// queue (ordered) full, which stops the feeder taking input. That chain is the backpressure that keeps an endless
/// source in constant memory.
/// </remarks>
internal sealed class StageRunner<TIn, TOut>(
    PipelineRunState run,
    string name,
    Executor executor,
    Func<Executor, TIn, TaskOptions, CancellationToken, Task<TOut>> submit,
    TaskOptions taskOptions,
    StageOptions options,
    ChannelReader<TIn> input,
    ChannelWriter<TOut> output,
    StageCounters counters)
{
    private readonly int _parallelism = options.EffectiveParallelism;
    private readonly StageErrorPolicy _errors = options.Errors;

    public Task RunAsync() => options.KeepOrder ? RunOrderedAsync() : RunUnorderedAsync();

    private async Task RunUnorderedAsync()
    {
        var token = run.Token;
        using var slots = new SemaphoreSlim(_parallelism, _parallelism);
        try
        {
            while (true)
            {
                await slots.WaitAsync(token);
                var (more, item) = await TakeHoldingSlotAsync(slots, token);
                if (!more)
                {
                    slots.Release();
                    break;
                }

                counters.In();

                // Not awaited here: the slot it holds is the bound, and the wait for every slot below observes it.
                _ = ProcessThenWriteAsync(item, slots, token);
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // The run is stopping; the items already taken still end below.
        }
        finally
        {
            // Each item gives its slot back only once it has ended, so holding every slot means that no item of this
            // stage is still running: nothing outlives the run.
            for (var i = 0; i < _parallelism; i++)
            {
                await slots.WaitAsync(CancellationToken.None);
            }

            output.TryComplete();
        }
    }

    private async Task RunOrderedAsync()
    {
        var token = run.Token;
        using var slots = new SemaphoreSlim(_parallelism, _parallelism);

        // Items whose results wait for an earlier item; bounded so that one slow item cannot let the stage run
        // arbitrarily far ahead of it.
        var order = Channel.CreateBounded<Task<(bool Ok, TOut Value)>>(new BoundedChannelOptions(_parallelism) { SingleReader = true, SingleWriter = true });
        var emitter = EmitInOrderAsync(order.Reader, token);
        try
        {
            while (true)
            {
                await slots.WaitAsync(token);
                var (more, item) = await TakeHoldingSlotAsync(slots, token);
                if (!more)
                {
                    slots.Release();
                    break;
                }

                counters.In();
                var pending = ProcessAsync(item, slots, token);

                // Written without the token: the emitter drains the queue until it is completed, so this write
                // always ends, and no task started here is dropped unawaited.
                await order.Writer.WriteAsync(pending, CancellationToken.None);
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // The run is stopping; the emitter still awaits every item already started.
        }
        finally
        {
            order.Writer.TryComplete();
            await emitter;
            output.TryComplete();
        }
    }

    private async ValueTask<(bool More, TIn Item)> TakeHoldingSlotAsync(SemaphoreSlim slots, CancellationToken token)
    {
        try
        {
            while (true)
            {
                if (input.TryRead(out var item))
                {
                    return (true, item);
                }

                if (!await input.WaitToReadAsync(token))
                {
                    return (false, default!);
                }
            }
        }
        catch
        {
            // The slot was taken for an item that never came; without giving it back the final wait would hang.
            slots.Release();
            throw;
        }
    }

    private async Task EmitInOrderAsync(ChannelReader<Task<(bool Ok, TOut Value)>> order, CancellationToken token)
    {
        while (await order.WaitToReadAsync(CancellationToken.None))
        {
            while (order.TryRead(out var pending))
            {
                var (ok, value) = await pending;
                if (!ok || token.IsCancellationRequested)
                {
                    continue;
                }

                try
                {
                    await output.WriteAsync(value, token);
                    counters.Out();
                }
                catch (OperationCanceledException) when (token.IsCancellationRequested)
                {
                    // Keep draining: the remaining tasks must still be awaited.
                }
            }
        }
    }

    private async Task ProcessThenWriteAsync(TIn item, SemaphoreSlim slots, CancellationToken token)
    {
        try
        {
            var (ok, value) = await ProcessAsync(item, null, token);
            if (ok)
            {
                await output.WriteAsync(value, token);
                counters.Out();
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // The run is stopping and the downstream buffer no longer takes results.
        }
        finally
        {
            // Given back only after the write: a stage blocked on a full output buffer must stop taking input.
            slots.Release();
        }
    }

    /// <summary>Runs one item under the error policy; never throws. Not Ok means skipped, failed or stopped.</summary>
    private async Task<(bool Ok, TOut Value)> ProcessAsync(TIn item, SemaphoreSlim? releaseWhenDone, CancellationToken token)
    {
        try
        {
            for (var attempt = 1; ; attempt++)
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
                    // Submit itself refused the item (the executor was shut down, or a process executor found work
                    // it cannot send): every item would be refused alike, so this ends the run whatever the policy.
                    counters.Failed();
                    run.Fail(new PipelineStageException(run.Name, name, item, hasItem: true, e,
                        $"Stage '{name}' of pipeline '{run.Name}' could not submit its work to the executor '{executor.Name}', so the pipeline was cancelled: {e.Message}"));
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
                    if (token.IsCancellationRequested)
                    {
                        // The run is stopping; this item's error is a consequence, not a cause.
                        return default;
                    }

                    if (attempt <= _errors.Retries)
                    {
                        counters.Retried();
                        continue;
                    }

                    counters.Failed();
                    if (_errors.SkipFailed)
                    {
                        run.Record(new StageFailure(name, item, e, attempt));
                    }
                    else
                    {
                        run.Fail(new PipelineStageException(run.Name, name, item, hasItem: true, e));
                    }

                    return default;
                }
            }
        }
        finally
        {
            releaseWhenDone?.Release();
        }
    }
}
