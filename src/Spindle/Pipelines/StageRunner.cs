using System.Diagnostics;
using System.Threading.Channels;

namespace Spindle.Pipelines;

/// <summary>
/// Runs one stage of one run as <c>Parallelism</c> worker loops. Each loop takes an item (or a small batch) from the
/// input buffer, submits it to the stage's executor, applies the error policy, and passes the results on, then
/// takes the next.
/// </summary>
/// <remarks>
/// <code>
///                       read gate (one loop waits on the buffer at a time)
///  input buffer ──► loop 1 ─► executor.Submit(work, item or batch) ─► results ─┐
///               ──► loop 2 ─► executor.Submit(work, item or batch) ─► results ─┼─► unordered: written as each ends
///               ──► loop P ─►  ...                                             ─┘   ordered: queued in take order;
///                                                                                   whoever finishes the head writes
///                                                                                   every ready result
/// </code>
/// The loop whose item finished submits the next one itself, so an item costs no hop through a dispatcher. On thread
/// executors a loop takes, besides its item, whatever else is already buffered, up to about
/// <see cref="TargetBatchMicroseconds"/> of work (or <see cref="HandOffShare"/> times the measured hand-off time, if
/// more), and submits it as one task: cheap items then cost one hand-off per batch instead of one each, and a loop
/// never waits to fill a batch. Every buffer is bounded: a
/// full output buffer stops the loop writing to it (unordered) or fills the order window (ordered), which stops loops
/// taking input. That chain is the backpressure that keeps an endless source in constant memory.
/// </remarks>
internal sealed class StageRunner<TIn, TOut>(
    PipelineRunState run,
    string name,
    Executor executor,
    Func<Executor, TIn, TaskOptions, CancellationToken, Task<TOut>> submit,
    Func<Executor, TIn[], TaskOptions, CancellationToken, Task<BatchOutcome<TOut>>>? submitBatch,
    TaskOptions taskOptions,
    StageOptions options,
    ChannelReader<TIn> input,
    int inputCapacity,
    ChannelWriter<TOut> output,
    StageCounters counters)
{
    /// <summary>How much work a batch holds, by the stage's measured time per item.</summary>
    private const int TargetBatchMicroseconds = 200;

    private const int MaxBatch = 64;

    /// <summary>How many times the measured hand-off time a batch's work should be, at least.</summary>
    private const int HandOffShare = 10;

    private static readonly long s_targetBatchTicks = Stopwatch.Frequency * TargetBatchMicroseconds / 1_000_000;

    private readonly int _parallelism = options.EffectiveParallelism;
    private readonly StageErrorPolicy _errors = options.Errors;

    // Items taken and not yet written, in take order (ordered stages only). Guarded by its own lock, which also
    // guards each entry's completion and _flushing, so that a result marked ready is always seen by a flusher.
    private readonly Queue<Entry> _order = new();
    private bool _flushing;

    // The stage's work time per item, and the time a batch spends on everything but its work (queueing on the
    // lane, hand-offs between threads), both in ticks and smoothed; 0 until the first batch ends. Read and written
    // without a lock: a lost update only delays the estimate by one sample.
    private long _ticksPerItem;
    private long _handOffTicks;

    public async Task RunAsync()
    {
        var token = run.Token;

        // Only the loop holding the gate waits on the input buffer: a buffer wakes every waiter per item, and
        // hundreds of idle I/O loops woken for each item would burn the CPU the busy stages need. For ordered
        // stages the gate also makes "take items" and "queue their entry" one step, so the queue is in input order.
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
        var scratch = new List<TIn>();
        try
        {
            while (true)
            {
                if (window is not null)
                {
                    await window.WaitAsync(token);
                }

                var taken = await TakeAsync(readGate, window, scratch, token);
                if (taken.Count == 0)
                {
                    return;
                }

                counters.In(taken.Count);
                List<TOut>? many = null;
                bool ok;
                TOut? one;
                if (taken.Many is null)
                {
                    (ok, one) = await ProcessAsync(taken.One, 1, token);
                }
                else
                {
                    (ok, one) = (false, default);
                    many = await ProcessBatchAsync(taken.Many, token);
                }

                if (taken.Entry is not null)
                {
                    await FlushAsync(taken.Entry, ok, one, many, window!, token);
                    continue;
                }

                if (ok)
                {
                    await output.WriteAsync(one!, token);
                    counters.Out();
                }

                if (many is not null)
                {
                    foreach (var value in many)
                    {
                        await output.WriteAsync(value, token);
                        counters.Out();
                    }
                }
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // The run is stopping; this loop's items, if any, have already ended.
        }
#pragma warning disable CA1031 // Every error is routed to the run; none may escape a stage.
        catch (Exception e)
#pragma warning restore CA1031
        {
            run.Fail(e);
        }
    }

    private async ValueTask<Taken> TakeAsync(SemaphoreSlim readGate, SemaphoreSlim? window, List<TIn> scratch, CancellationToken token)
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
                        var many = BatchMore(item, scratch);
                        var result = new Taken(many?.Length ?? 1, item, many, window is null ? null : new Entry());
                        if (result.Entry is not null)
                        {
                            lock (_order)
                            {
                                _order.Enqueue(result.Entry);
                            }
                        }

                        return result;
                    }

                    if (!await input.WaitToReadAsync(token))
                    {
                        return default;
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
            // The window place was taken for items that never came.
            if (!taken)
            {
                window?.Release();
            }
        }
    }

    /// <summary>Takes more already-buffered items to go with <paramref name="first"/> into one batch; null when the stage does not batch.</summary>
    private TIn[]? BatchMore(TIn first, List<TIn> scratch)
    {
        if (submitBatch is null)
        {
            return null;
        }

        // Enough work per batch that hand-offs cost about a tenth of it: cheap items go many at a time, and on a
        // busy machine, where each hand-off waits for a scheduler slice, even heavy items go a few at a time.
        var perItem = Volatile.Read(ref _ticksPerItem);
        var target = Math.Max(s_targetBatchTicks, HandOffShare * Volatile.Read(ref _handOffTicks));
        var byTime = perItem <= 0 ? 1 : (int)Math.Clamp(target / perItem, 1, MaxBatch);

        // Leave a share of what is buffered to the other loops, so that batching never idles them.
        var limit = Math.Min(byTime, Math.Min(inputCapacity, Math.Max(1, (input.Count + 1) / _parallelism)));
        scratch.Clear();
        scratch.Add(first);
        while (scratch.Count < limit && input.TryRead(out var item))
        {
            scratch.Add(item);
        }

        return [.. scratch];
    }

    /// <summary>Marks an ordered entry's results ready and, unless another loop is already at it, writes every ready entry at the head.</summary>
    private async Task FlushAsync(Entry entry, bool ok, TOut? one, List<TOut>? many, SemaphoreSlim window, CancellationToken token)
    {
        lock (_order)
        {
            entry.Ready = true;
            entry.HasOne = ok;
            entry.One = one;
            entry.Many = many;
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
                if (head.HasOne && !token.IsCancellationRequested)
                {
                    await output.WriteAsync(head.One!, token);
                    counters.Out();
                }

                if (head.Many is not null)
                {
                    foreach (var value in head.Many)
                    {
                        await output.WriteAsync(value, token);
                        counters.Out();
                    }
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

    /// <summary>Runs a batch as one task; items that failed go through the error policy one by one. Returns the results, in order.</summary>
    private async Task<List<TOut>> ProcessBatchAsync(TIn[] items, CancellationToken token)
    {
        Task<BatchOutcome<TOut>> task;
        try
        {
            task = submitBatch!(executor, items, taskOptions, token);
        }
#pragma warning disable CA1031 // Every error is routed to the run; none may escape a stage.
        catch (Exception e)
#pragma warning restore CA1031
        {
            FailSubmit(items[0], e, items.Length);
            return [];
        }

        Outcome<TOut>[]? outcomes = null;
        var startedAt = run.SinceStart;
        counters.Started(startedAt);
        try
        {
            var batch = await task;
            outcomes = batch.Items;
            var endedAt = run.SinceStart;
            counters.Ended(startedAt, endedAt);
            Measure(endedAt - startedAt, batch.WorkTicks, items.Length);
        }
#pragma warning disable CA1031 // The batch as a whole failed (not one of its items); each item is retried alone below.
        catch (Exception)
#pragma warning restore CA1031
        {
            counters.Ended(startedAt, run.SinceStart);
            if (token.IsCancellationRequested)
            {
                return [];
            }
        }

        var results = new List<TOut>(items.Length);
        for (var i = 0; i < items.Length; i++)
        {
            var (ok, value) = outcomes is null ? await ProcessAsync(items[i], 1, token)
                : outcomes[i].Error is { } error ? await AfterFailureAsync(items[i], error, 1, token)
                : (true, outcomes[i].Value);
            if (ok)
            {
                results.Add(value);
            }
        }

        return results;
    }

    /// <summary>Runs one item under the error policy; never throws. Not Ok means skipped, failed or stopped.</summary>
    private async Task<(bool Ok, TOut Value)> ProcessAsync(TIn item, int attempt, CancellationToken token)
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

    /// <summary>Applies the error policy to an item whose attempt number <paramref name="attempt"/> failed.</summary>
    private async Task<(bool Ok, TOut Value)> AfterFailureAsync(TIn item, Exception error, int attempt, CancellationToken token)
    {
        if (token.IsCancellationRequested)
        {
            // The run is stopping; this item's error is a consequence, not a cause.
            return default;
        }

        if (attempt <= _errors.Retries)
        {
            counters.Retried();
            return await ProcessAsync(item, attempt + 1, token);
        }

        counters.Failed();
        if (_errors.SkipFailed)
        {
            run.Record(new StageFailure(name, item, error, attempt));
        }
        else
        {
            run.Fail(new PipelineStageException(run.Name, name, item, hasItem: true, error));
        }

        return default;
    }

    /// <summary>
    /// Submit itself refused work (the executor was shut down, or a process executor found work it cannot send):
    /// every item would be refused alike, so this ends the run whatever the policy.
    /// </summary>
    private void FailSubmit(TIn item, Exception error, int items)
    {
        for (var i = 0; i < items; i++)
        {
            counters.Failed();
        }

        run.Fail(new PipelineStageException(run.Name, name, item, hasItem: true, error,
            $"Stage '{name}' of pipeline '{run.Name}' could not submit its work to the executor '{executor.Name}', so the pipeline was cancelled: {error.Message}"));
    }

    /// <summary>Updates the smoothed work time per item and hand-off time per task from one batch.</summary>
    private void Measure(long roundTripTicks, long workTicks, int items)
    {
        // Smoothing over eight samples: quick enough to follow a change of input, slow enough to ignore one outlier.
        var perItem = Math.Max(1, workTicks / items);
        var previous = Volatile.Read(ref _ticksPerItem);
        Volatile.Write(ref _ticksPerItem, previous == 0 ? perItem : ((previous * 7) + perItem) / 8);

        var overhead = Math.Max(0, roundTripTicks - workTicks);
        previous = Volatile.Read(ref _handOffTicks);
        Volatile.Write(ref _handOffTicks, previous == 0 ? overhead : ((previous * 7) + overhead) / 8);
    }

    /// <summary>What a loop took: one item, or a batch (<see cref="Many"/>, which includes the first item), and its ordered entry; Count 0 means the input has ended.</summary>
    private readonly record struct Taken(int Count, TIn One, TIn[]? Many, Entry? Entry);

    /// <summary>An ordered take (an item or a batch) between take and write.</summary>
    private sealed class Entry
    {
        public bool Ready { get; set; }

        public bool HasOne { get; set; }

        public TOut? One { get; set; }

        public List<TOut>? Many { get; set; }
    }
}
