using System.Threading.Channels;

namespace Spindle.Pipelines;

/// <summary>
/// Runs one stage of one run as <c>Parallelism</c> worker loops. Each loop takes an item from the input buffer,
/// submits it to the stage's executor, applies the error policy, and passes the result on, then takes the next.
/// </summary>
/// <remarks>
/// <code>
///                       read gate (one loop waits on the buffer at a time)
///  input buffer ──► loop 1 ─► executor.Submit(work, item) ─► result ─┐
///               ──► loop 2 ─► executor.Submit(work, item) ─► result ─┼─► unordered: written as each one ends
///               ──► loop P ─►  ...                                   ─┘   ordered:   queued in take order; whoever
///                                                                         finishes the head writes every ready result
/// </code>
/// The loop whose item finished submits the next one itself, so an item costs no hop through a dispatcher. Every
/// buffer is bounded: a full output buffer stops the loop writing to it (unordered) or fills the order window
/// (ordered), which stops loops taking input. That chain is the backpressure that keeps an endless source in
/// constant memory.
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

    // Items taken and not yet written, in take order (ordered stages only). Guarded by its own lock, which also
    // guards each entry's completion and _flushing, so that a result marked ready is always seen by a flusher.
    private readonly Queue<Entry> _order = new();
    private bool _flushing;

    public async Task RunAsync()
    {
        var token = run.Token;

        // Only the loop holding the gate waits on the input buffer: a buffer wakes every waiter per item, and
        // hundreds of idle I/O loops woken for each item would burn the CPU the busy stages need. For ordered
        // stages the gate also makes "take an item" and "queue its entry" one step, so the queue is in input order.
        using var readGate = new SemaphoreSlim(1, 1);

        // Entries between take and write; bounded so that one slow item cannot let the stage run far ahead of it.
        using var window = options.KeepOrder ? new SemaphoreSlim(2 * _parallelism, 2 * _parallelism) : null;
        var loops = new Task[_parallelism];
        for (var i = 0; i < loops.Length; i++)
        {
            loops[i] = LoopAsync(readGate, window, token);
        }

        try
        {
            // The loops never throw; awaiting them all means that no item of this stage is still running.
            await Task.WhenAll(loops);
        }
        finally
        {
            output.TryComplete();
        }
    }

    private async Task LoopAsync(SemaphoreSlim readGate, SemaphoreSlim? window, CancellationToken token)
    {
        // Started from RunAsync's thread; the first yield puts each loop on its own footing.
        await Task.Yield();
        try
        {
            while (true)
            {
                if (window is not null)
                {
                    await window.WaitAsync(token);
                }

                var (more, item, entry) = await TakeAsync(readGate, window, token);
                if (!more)
                {
                    return;
                }

                counters.In();
                var (ok, value) = await ProcessAsync(item, token);
                if (entry is null)
                {
                    if (ok)
                    {
                        await output.WriteAsync(value, token);
                        counters.Out();
                    }
                }
                else
                {
                    await FlushAsync(entry, ok, value, window!, token);
                }
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // The run is stopping; this loop's item, if any, has already ended.
        }
#pragma warning disable CA1031 // Every error is routed to the run; none may escape a stage.
        catch (Exception e)
#pragma warning restore CA1031
        {
            run.Fail(e);
        }
    }

    private async ValueTask<(bool More, TIn Item, Entry? Entry)> TakeAsync(SemaphoreSlim readGate, SemaphoreSlim? window, CancellationToken token)
    {
        var taken = false;
        try
        {
            await readGate.WaitAsync(token);
            try
            {
                while (true)
                {
                    if (input.TryRead(out var item))
                    {
                        taken = true;
                        Entry? entry = null;
                        if (window is not null)
                        {
                            entry = new Entry();
                            lock (_order)
                            {
                                _order.Enqueue(entry);
                            }
                        }

                        return (true, item, entry);
                    }

                    if (!await input.WaitToReadAsync(token))
                    {
                        return (false, default!, null);
                    }
                }
            }
            finally
            {
                readGate.Release();
            }
        }
        finally
        {
            // The window place was taken for an item that never came.
            if (!taken)
            {
                window?.Release();
            }
        }
    }

    /// <summary>Marks an ordered item's result ready and, unless another loop is already at it, writes every ready result at the head.</summary>
    private async Task FlushAsync(Entry entry, bool ok, TOut value, SemaphoreSlim window, CancellationToken token)
    {
        lock (_order)
        {
            entry.Ready = true;
            entry.Ok = ok;
            entry.Value = value;
            if (_flushing)
            {
                // The flushing loop checks the head again after each write, so it will write this one in its turn.
                return;
            }

            _flushing = true;
        }

        while (true)
        {
            Entry head;
            lock (_order)
            {
                if (_order.Count == 0 || !_order.Peek().Ready)
                {
                    _flushing = false;
                    return;
                }

                head = _order.Dequeue();
            }

            try
            {
                if (head.Ok && !token.IsCancellationRequested)
                {
                    await output.WriteAsync(head.Value!, token);
                    counters.Out();
                }
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                // The run is stopping; the remaining entries are dropped as the loop goes on.
            }
            finally
            {
                window.Release();
            }
        }
    }

    /// <summary>Runs one item under the error policy; never throws. Not Ok means skipped, failed or stopped.</summary>
    private async Task<(bool Ok, TOut Value)> ProcessAsync(TIn item, CancellationToken token)
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

    /// <summary>An ordered item between take and write.</summary>
    private sealed class Entry
    {
        public bool Ready { get; set; }

        public bool Ok { get; set; }

        public TOut? Value { get; set; }
    }
}
