using System.Diagnostics;
using Spindle.Diagnostics;
using Spindle.Internal;

namespace Spindle.Pipelines;

/// <summary>
/// Runs one stage of one run as <c>Parallelism</c> worker loops. Each loop takes an item (or a small batch) from the
/// input buffer, submits it to the stage's executor, applies the error policy, and passes the results on, then
/// takes the next.
/// </summary>
/// <remarks>
/// <code>
///                       idle loops wait in the buffer (one woken per item written)
///  input buffer ──► loop 1 ─► executor.Submit(task: batch, then more) ─► results ─┐
///               ──► loop 2 ─► executor.Submit(task: batch, then more) ─► results ─┼─► unordered: written as each ends
///               ──► loop P ─►  ...                                               ─┘   ordered: queued in take order;
///                   ▲                            │                                    whoever finishes the head writes
///                   └── failures, a full output ◄┘                                    every ready result
/// </code>
/// The loop whose item finished submits the next one itself, so an item costs no hop through a dispatcher. On thread
/// executors a loop takes, besides its item, whatever else is already buffered, up to about
/// <see cref="TargetBatchMicroseconds"/> of work, and submits it as one task. That task, on the executor's thread,
/// passes its results on itself while the output buffer has room, then takes the next batch from the input itself,
/// for as long as input is buffered and its time budget lasts (<see cref="ExtendTicks"/>): a busy stage pays one
/// hand-off between threads per budget instead of two per batch, much as a TPL Dataflow block pays one per burst of
/// input. Only what would need waiting goes back to the loop: an item that failed (the error policy may retry it as a
/// new task) and a full output buffer. Each loop has at most one task submitted, so at most <c>Parallelism</c> items
/// run at once. Every buffer is bounded: a full output buffer stops a task taking more and the loop writing to it
/// (unordered) or fills the order window (ordered), which stops loops taking input. That chain is the backpressure
/// that keeps an endless source in constant memory.
/// </remarks>
internal sealed class StageRunner<TIn, TOut>(
    PipelineRunState run,
    string name,
    Executor executor,
    Func<Executor, TIn, TaskOptions, CancellationToken, Task<TOut>> submit,
    Work<TIn, TOut>? batchWork,
    TaskOptions taskOptions,
    StageOptions options,
    StageBuffer<TIn> input,
    int inputCapacity,
    StageBuffer<TOut> output,
    StageCounters counters) : IDisposable
{
    /// <summary>How much work a batch holds, by the stage's measured time per item.</summary>
    private const int TargetBatchMicroseconds = 200;

    private const int MaxBatch = 64;

    // How long a task goes on taking more input: the longest of 1 ms, 50 measured hand-offs (so its one hand-off
    // costs at most a fiftieth) and 64 items of the stage's measured time per item. A busy machine makes hand-offs
    // cost milliseconds (a woken thread waits for a core), so the budget must outgrow them; a stage whose input or
    // output stalls ends its task anyway, so a long budget holds an executor thread only while it has work.
    private const int ExtendMicroseconds = 1_000;
    private const int ExtendHandOffs = 50;
    private const int ExtendItems = 64;

    private static readonly long s_targetBatchTicks = Stopwatch.Frequency * TargetBatchMicroseconds / 1_000_000;
    private static readonly long s_extendTicks = Stopwatch.Frequency * ExtendMicroseconds / 1_000_000;

    private readonly int _parallelism = options.ParallelismOn(executor);
    private readonly StageErrorPolicy _errors = options.Errors;

    // Held while taking items and queueing their ordered entry, by loops and by running tasks alike, so that the
    // order queue is in input order. Held only for TryReads, never across a wait: a task on the executor takes it
    // without ever blocking its thread for long.
    private readonly Lock _takeLock = new();

    // Items between take and write (ordered stages only), one place each; bounded so that one slow item cannot let
    // the stage run far ahead of it. As many as 2 × Parallelism takes of a parallel share of the input buffer each,
    // counted in items so that heavy items, taken one at a time, can still run that far ahead of a slow one (a task
    // that finds the window full must end and pay a hand-off). The first place of a take is awaited before the read
    // gate, so no taker holds the gate while it waits for one; the rest are only tried.
    private readonly WindowPlaces? _window = options.KeepOrder ? new WindowPlaces(WindowSize(options.ParallelismOn(executor), inputCapacity)) : null;

    // Items taken and not yet written, in take order (ordered stages only). Guarded by its own lock, which also
    // guards each entry's readiness and _flushing, so that a result marked ready is always seen by a flusher. Only
    // the flusher (whoever set _flushing) writes the head's results and dequeues it.
    private readonly Queue<Entry> _order = new();
    private bool _flushing;

    // The stage's work time per item, and the time a task spends on everything but its work (queueing on the
    // lane, hand-offs between threads), both in ticks and smoothed; 0 until the first task ends. Read and written
    // without a lock: a lost update only delays the estimate by one sample.
    private long _ticksPerItem;
    private long _handOffTicks;

    // What a batch task runs on the executor; built once per stage, so a submit allocates no delegate.
    private Work<Chunk, Chunk>? _chunkWork;

    // The token batch tasks run under: the run's, linked once per stage to the executor's stop token. Batch tasks are
    // submitted without a token of their own, so a task costs no linked source and no registration on the run's
    // shared token (each would take that token's lock, on every thread of every stage); a task the run's stop finds
    // still queued runs, sees the token cancelled, and drops its items at once.
    private CancellationTokenSource? _chunkTokenSource;

    // Batches run only on executors that host them (see StageDefinition): a batch task's loop goes on, on the
    // executor's thread, as the task ends: it passes results on and submits the next task, all without blocking, so
    // it needs no hop to the thread pool first.
    private readonly IPipelineHost? _host = batchWork is null ? null : (IPipelineHost)executor;

    public async Task RunAsync()
    {
        var token = run.Token;
        if (batchWork is not null)
        {
            _chunkWork = batchWork.Sync is not null ? Work<Chunk, Chunk>.Of(RunChunks) : Work<Chunk, Chunk>.Of(RunChunksAsync);
            _chunkTokenSource = CancellationTokenSource.CreateLinkedTokenSource(token, _host!.StopToken);
        }

        // One span for the stage's whole run, a child of the span the run was started in (none, at no cost, when
        // nobody listens); the loops below inherit it, so the work the stage submits belongs to it.
        using var span = SpindleTelemetry.ActivitySource.HasListeners() ? SpindleTelemetry.ActivitySource.StartActivity("spindle.pipeline.stage") : null;
        span?.SetTag("spindle.pipeline", run.Name);
        span?.SetTag("spindle.stage", name);
        span?.SetTag("spindle.executor", executor.Name);
        span?.SetTag("spindle.parallelism", _parallelism);

        // A stopping run wakes the loops waiting for input, which then see the token and end.
        using var stop = token.UnsafeRegister(static buffer => ((StageBuffer<TIn>)buffer!).WakeAllTakers(), input);
        var loops = new Task[_parallelism];
        for (var i = 0; i < loops.Length; i++)
        {
            loops[i] = LoopAsync(token);
        }

        try
        {
            // The loops never throw; awaiting them all means that no item of this stage is still running, and no
            // task still uses the gate or the window disposed below.
            await Task.WhenAll(loops);
        }
        finally
        {
            output.TryComplete();
            Dispose();
            if (span is not null)
            {
                var progress = counters.Snapshot(0);
                span.SetTag("spindle.items_in", progress.ItemsIn);
                span.SetTag("spindle.items_out", progress.ItemsOut);
                span.SetTag("spindle.items_failed", progress.ItemsFailed);
            }
        }
    }

    /// <summary>Frees the window and the batch tasks' token; called by <see cref="RunAsync"/> once no loop or task can use them.</summary>
    public void Dispose()
    {
        _chunkTokenSource?.Dispose();
    }

    private async Task LoopAsync(CancellationToken token)
    {
        // Started from RunAsync's thread; the first yield puts each loop on its own footing.
        await Task.Yield();

        // One per loop, reused by each of its tasks: a loop has at most one task submitted at a time.
        var chunk = new Chunk();
        try
        {
            while (true)
            {
                if (_window is not null)
                {
                    await _window.WaitAsync(token);
                }

                var taken = await TakeAsync(chunk.Scratch, token);
                if (taken.Count == 0)
                {
                    return;
                }

                counters.In(taken.Count);
                if (taken.Many is null)
                {
                    var (ok, one) = await ProcessAsync(taken.One, 1, token);
                    await DeliverAsync(taken.Entry, new Results(ok ? 1 : 0, one, null), 0, token);
                }
                else
                {
                    chunk.Start(taken.Many, taken.Entry);
                    await RunChunkTaskAsync(chunk, token);
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

    private async ValueTask<Taken> TakeAsync(List<TIn> scratch, CancellationToken token)
    {
        var taken = false;
        try
        {
            while (true)
            {
                token.ThrowIfCancellationRequested();
                var result = TryTake(scratch);
                if (result.Count > 0)
                {
                    taken = true;
                    return result;
                }

                if (input.IsDrained)
                {
                    return default;
                }

                // Idle loops wait for input through the buffer itself, which wakes one of them per item written (a
                // channel's WaitToReadAsync wakes every waiter per item, and hundreds of idle I/O loops woken for each
                // item would burn the CPU the busy stages need).
                await input.WaitForItemAsync(token);
            }
        }
        finally
        {
            // The window place was taken for items that never came.
            if (!taken)
            {
                _window?.Release();
            }
        }
    }

    /// <summary>Takes an item, or a batch, of what is buffered, with its ordered entry; Count 0 if the buffer is empty.</summary>
    private Taken TryTake(List<TIn> scratch)
    {
        lock (_takeLock)
        {
            // The first item's window place is already held; each further item of a batch needs a place of its own,
            // tried only: a batch never waits to grow. What is taken comes out of the buffer under one lock.
            var want = batchWork is null ? 1 : BatchLimit();
            var places = want > 1 && _window is not null ? _window.TryTake(want - 1) : want - 1;
            scratch.Clear();
            var taken = input.TryRead(scratch, 1 + places);
            if (_window is not null)
            {
                // Places taken for items that were not there (the first one's is given back by the caller).
                _window.Release(places - Math.Max(0, taken - 1));
            }

            if (taken == 0)
            {
                return default;
            }

            TIn[]? many = batchWork is null ? null : [.. scratch];
            return new Taken(taken, scratch[0], many, NewEntry(taken));
        }
    }

    /// <summary>Queues an ordered entry for what was just taken; called under the take lock, so entries are in take order.</summary>
    private Entry? NewEntry(int taken)
    {
        if (_window is null)
        {
            return null;
        }

        var entry = new Entry { Taken = taken };
        lock (_order)
        {
            _order.Enqueue(entry);
        }

        return entry;
    }

    /// <summary>The order window's places: 2 × <paramref name="parallelism"/> takes of a parallel share of the input buffer.</summary>
    /// <remarks>Counted in longs: a bound near <see cref="int.MaxValue"/> would overflow, and caps the window instead.</remarks>
    private static int WindowSize(int parallelism, int inputCapacity) =>
        (int)Math.Min(int.MaxValue, 2L * parallelism * Math.Max(1, (inputCapacity + 1L) / parallelism));

    /// <summary>How many items a batch takes: enough work that taking and passing it on costs little beside it, and a fair share of what is buffered.</summary>
    private int BatchLimit()
    {
        // Cheap items go many at a time, heavy ones alone. Hand-offs between threads need no larger batches: a task
        // pays one per time budget, not one per batch (see ExtendTicks). Small batches of heavy items keep results
        // flowing to the next stage.
        var perItem = Volatile.Read(ref _ticksPerItem);
        var byTime = perItem <= 0 ? 1 : (int)Math.Clamp(s_targetBatchTicks / perItem, 1, MaxBatch);

        // Leave a share of what is buffered to the other loops, so that batching never idles them.
        return Math.Min(byTime, Math.Min(inputCapacity, Math.Max(1, input.Count / _parallelism)));
    }

    /// <summary>Submits a loop's batch as one task and finishes, without blocking a thread, whatever the task handed back.</summary>
    private async Task RunChunkTaskAsync(Chunk chunk, CancellationToken token)
    {
        Task<Chunk> task;
        try
        {
            task = _host!.SubmitContinuingHere(_chunkWork!, chunk, taskOptions);
        }
#pragma warning disable CA1031 // Every error is routed to the run; none may escape a stage.
        catch (Exception e)
#pragma warning restore CA1031
        {
            FailSubmit(chunk.Items[0], e, chunk.Items.Length);
            await DeliverAsync(chunk.Entry, default, 0, token);
            return;
        }

        var startedAt = run.SinceStart;
        counters.Started(startedAt);
        try
        {
            await task;
        }
#pragma warning disable CA1031 // The task as a whole failed (not one of its items): see below.
        catch (Exception e)
#pragma warning restore CA1031
        {
            counters.Ended(startedAt, run.SinceStart);
            Results retried = default;
            if (chunk.Ran)
            {
                // The task code catches every item's error, so a task that ran and failed broke that promise.
                run.Fail(e);
            }
            else if (!token.IsCancellationRequested)
            {
                // It never ran (cancelled while queued, say): each item is tried alone, under the error policy.
                retried = await ApplyPolicyAsync(chunk.Items, null, token);
            }

            await DeliverAsync(chunk.Entry, retried, 0, token);
            return;
        }

        var endedAt = run.SinceStart;
        counters.Ended(startedAt, endedAt);
        Measure(endedAt - startedAt, chunk.WorkTicks, chunk.ItemCount);
        switch (chunk.Left)
        {
            case Leftover.Failures:
                await DeliverAsync(chunk.Entry, await ApplyPolicyAsync(chunk.Items, chunk.Outcomes, token), 0, token);
                break;
            case Leftover.Results:
                await DeliverAsync(chunk.Entry, chunk.Results, chunk.WriteFrom, token);
                break;
            case Leftover.Flush:
                await FlushOwnedAsync(token);
                break;
            default:
                break;
        }
    }

    /// <summary>A batch task of synchronous work, on the executor's thread: the batch, then more while input and budget last.</summary>
    private Chunk RunChunks(Chunk chunk, CancellationToken _)
    {
        chunk.Ran = true;
        var token = _chunkTokenSource!.Token;
        var work = batchWork!.Sync!;
        var budget = Stopwatch.GetTimestamp() + ExtendTicks();
        do
        {
            var items = chunk.Items;
            var values = new TOut[items.Length];
            Outcome<TOut>[]? outcomes = null;
            var started = Stopwatch.GetTimestamp();
            for (var i = 0; i < items.Length; i++)
            {
                try
                {
                    token.ThrowIfCancellationRequested();
                    values[i] = work(items[i], token);
                }
#pragma warning disable CA1031 // Each item's exception is kept for the stage's error policy, exactly as a task of its own would keep it.
                catch (Exception e)
#pragma warning restore CA1031
                {
                    outcomes ??= new Outcome<TOut>[items.Length];
                    outcomes[i] = new Outcome<TOut>(default!, e);
                }
            }

            chunk.AddWork(Stopwatch.GetTimestamp() - started, items.Length);
            if (!TryDeliver(chunk, values, outcomes, token))
            {
                return chunk;
            }
        }
        while (TryTakeMore(chunk, budget, token));

        return chunk;
    }

    /// <summary>A batch task of asynchronous work; as <see cref="RunChunks"/>, awaiting each item in turn.</summary>
    private async Task<Chunk> RunChunksAsync(Chunk chunk, CancellationToken _)
    {
        chunk.Ran = true;
        var token = _chunkTokenSource!.Token;
        var work = batchWork!.Async!;
        var budget = Stopwatch.GetTimestamp() + ExtendTicks();
        do
        {
            var items = chunk.Items;
            var values = new TOut[items.Length];
            Outcome<TOut>[]? outcomes = null;
            var started = Stopwatch.GetTimestamp();
            for (var i = 0; i < items.Length; i++)
            {
                try
                {
                    token.ThrowIfCancellationRequested();
                    values[i] = await work(items[i], token);
                }
#pragma warning disable CA1031 // As above.
                catch (Exception e)
#pragma warning restore CA1031
                {
                    outcomes ??= new Outcome<TOut>[items.Length];
                    outcomes[i] = new Outcome<TOut>(default!, e);
                }
            }

            chunk.AddWork(Stopwatch.GetTimestamp() - started, items.Length);
            if (!TryDeliver(chunk, values, outcomes, token))
            {
                return chunk;
            }
        }
        while (TryTakeMore(chunk, budget, token));

        return chunk;
    }

    /// <summary>
    /// How long a task goes on taking input: long enough that its one hand-off is a small share of it, and bounded so
    /// that a stage with endless input still lets other work on the same lane take its turn.
    /// </summary>
    private long ExtendTicks() =>
        Math.Max(s_extendTicks, Math.Max(ExtendHandOffs * Volatile.Read(ref _handOffTicks), ExtendItems * Volatile.Read(ref _ticksPerItem)));

    /// <summary>
    /// On the executor's thread: passes a batch's results on if that needs no waiting. False hands the rest to the
    /// loop (recorded in <paramref name="chunk"/>): failures for the error policy, or results a full output could not take.
    /// </summary>
    private bool TryDeliver(Chunk chunk, TOut[] values, Outcome<TOut>[]? outcomes, CancellationToken token)
    {
        if (outcomes is not null)
        {
            // The error policy may wait (a retry is a new task), which an executor thread must not: back to the loop.
            for (var i = 0; i < values.Length; i++)
            {
                if (outcomes[i].Error is null)
                {
                    outcomes[i] = new Outcome<TOut>(values[i], null);
                }
            }

            chunk.Outcomes = outcomes;
            chunk.Left = Leftover.Failures;
            return false;
        }

        var results = new Results(values.Length, default, values);
        if (token.IsCancellationRequested)
        {
            // The loop's delivery drops them and, for an ordered stage, moves the order queue past them.
            chunk.Results = results;
            chunk.Left = Leftover.Results;
            return false;
        }

        if (chunk.Entry is not { } entry)
        {
            var written = output.TryWrite(values);
            counters.Out(written);
            if (written < values.Length)
            {
                chunk.Results = results;
                chunk.WriteFrom = written;
                chunk.Left = Leftover.Results;
                return false;
            }

            return true;
        }

        lock (_order)
        {
            entry.Results = results;
            entry.Ready = true;
            if (_flushing)
            {
                // The flusher checks the head again after each entry, so it will write this one in its turn.
                return true;
            }

            _flushing = true;
        }

        if (TryFlush())
        {
            return true;
        }

        // The output is full and this task holds the flush: the loop goes on with it, waiting for room.
        chunk.Left = Leftover.Flush;
        return false;
    }

    /// <summary>
    /// On the executor's thread: takes the next batch for a running task, if input is buffered, the budget lasts and
    /// the order window has room; never waits.
    /// </summary>
    private bool TryTakeMore(Chunk chunk, long budget, CancellationToken token)
    {
        if (token.IsCancellationRequested || Stopwatch.GetTimestamp() > budget)
        {
            return false;
        }

        if (_window is not null && _window.TryTake(1) == 0)
        {
            return false;
        }

        var taken = TryTake(chunk.Scratch);
        if (taken.Count == 0)
        {
            _window?.Release();
            return false;
        }

        chunk.Next(taken.Many!, taken.Entry);
        counters.In(taken.Count);
        return true;
    }

    /// <summary>Passes results on from an ordered entry or directly; for an ordered stage, marks the entry ready and flushes.</summary>
    private ValueTask DeliverAsync(Entry? entry, Results results, int from, CancellationToken token) =>
        entry is null ? WriteAsync(results, from, token) : new ValueTask(FlushAsync(entry, results, token));

    /// <summary>Marks an ordered entry's results ready and, unless another loop is already at it, writes every ready entry at the head.</summary>
    private async Task FlushAsync(Entry entry, Results results, CancellationToken token)
    {
        lock (_order)
        {
            entry.Results = results;
            entry.Ready = true;
            if (_flushing)
            {
                // The flusher checks the head again after each entry, so it will write this one in its turn.
                return;
            }

            _flushing = true;
        }

        await FlushOwnedAsync(token);
    }

    /// <summary>Writes every ready entry at the head, waiting for room; called by the holder of the flush.</summary>
    private async Task FlushOwnedAsync(CancellationToken token)
    {
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

                head = _order.Peek();
            }

            try
            {
                await WriteAsync(head.Results, head.Written, token);
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                // The run is stopping; the remaining entries are dropped as the loop goes on.
            }

            // Dequeued only once written, so that a task that flushed part of it and a loop that finishes it agree.
            lock (_order)
            {
                _order.Dequeue();
            }

            _window!.Release(head.Taken);
        }
    }

    /// <summary>On the executor's thread, holding the flush: writes ready entries while the output has room. False: it is full, and the flush is still held.</summary>
    private bool TryFlush()
    {
        while (true)
        {
            Entry head;
            lock (_order)
            {
                if (_order.Count == 0 || !_order.Peek().Ready)
                {
                    _flushing = false;
                    return true;
                }

                head = _order.Peek();
            }

            var results = head.Results;
            var written = head.Written + TryWrite(results, head.Written);
            counters.Out(written - head.Written);
            head.Written = written;
            if (written < results.Count)
            {
                return false;
            }

            lock (_order)
            {
                _order.Dequeue();
            }

            _window!.Release(head.Taken);
        }
    }

    /// <summary>Passes results on, in order, from index <paramref name="from"/>; waits only when the output buffer is full.</summary>
    private ValueTask WriteAsync(Results results, int from, CancellationToken token)
    {
        // A stopping run passes nothing on: what the next stage would take, it would only drop.
        token.ThrowIfCancellationRequested();

        // A buffer with room takes the results under one lock, without the state machine of an awaited write, and
        // one counter update per batch: readers see the batch arrive at once, as its items did.
        var written = from + TryWrite(results, from);
        counters.Out(written - from);
        return written == results.Count ? ValueTask.CompletedTask : WriteSlowAsync(results, written, token);
    }

    private async ValueTask WriteSlowAsync(Results results, int from, CancellationToken token)
    {
        var i = from;
        while (i < results.Count)
        {
            // The buffer is full: wait for room for one, then write what else fits in one go.
            await output.Writer.WriteAsync(results.At(i), token);
            var more = TryWrite(results, i + 1);
            counters.Out(1 + more);
            i += 1 + more;
        }
    }

    /// <summary>Writes what fits of <paramref name="results"/> from index <paramref name="from"/> without waiting; returns how many.</summary>
    private int TryWrite(Results results, int from)
    {
        if (from >= results.Count)
        {
            return 0;
        }

        return results.Many is { } many ? output.TryWrite(many.AsSpan(from, results.Count - from)) : output.TryWrite(results.One!) ? 1 : 0;
    }

    /// <summary>Applies the error policy to a batch's items (all of them when <paramref name="outcomes"/> is null: the batch never ran). Returns the results, in order.</summary>
    private async Task<Results> ApplyPolicyAsync(TIn[] items, Outcome<TOut>[]? outcomes, CancellationToken token)
    {
        var values = new TOut[items.Length];
        var count = 0;
        for (var i = 0; i < items.Length; i++)
        {
            var (ok, value) = outcomes is null ? await ProcessAsync(items[i], 1, token)
                : outcomes[i].Error is { } error ? await AfterFailureAsync(items[i], error, 1, token)
                : (true, outcomes[i].Value);
            if (ok)
            {
                values[count++] = value;
            }
        }

        return new Results(count, default, values);
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

    /// <summary>Updates the smoothed work time per item and hand-off time per task from one task.</summary>
    private void Measure(long roundTripTicks, long workTicks, int items)
    {
        // Smoothing over eight samples: quick enough to follow a change of input, slow enough to ignore one outlier.
        var perItem = Math.Max(1, workTicks / Math.Max(1, items));
        var previous = Volatile.Read(ref _ticksPerItem);
        Volatile.Write(ref _ticksPerItem, previous == 0 ? perItem : ((previous * 7) + perItem) / 8);

        var overhead = Math.Max(0, roundTripTicks - workTicks);
        previous = Volatile.Read(ref _handOffTicks);
        Volatile.Write(ref _handOffTicks, previous == 0 ? overhead : ((previous * 7) + overhead) / 8);
    }

    /// <summary>What a loop took: one item, or a batch (<see cref="Many"/>, which includes the first item), and its ordered entry; Count 0 means the input has ended.</summary>
    private readonly record struct Taken(int Count, TIn One, TIn[]? Many, Entry? Entry);

    /// <summary>What a take produced: <see cref="Count"/> values, either <see cref="One"/> (when <see cref="Many"/> is null) or the first Count of Many.</summary>
    private readonly record struct Results(int Count, TOut? One, TOut[]? Many)
    {
        public TOut At(int index) => Many is null ? One! : Many[index];
    }

    /// <summary>What a batch task hands back to its loop.</summary>
    private enum Leftover
    {
        /// <summary>Nothing: every result was passed on.</summary>
        None,

        /// <summary>Items of the last batch failed: the loop applies the error policy, then passes the results on.</summary>
        Failures,

        /// <summary>Results the output could not take without waiting (from <see cref="Chunk.WriteFrom"/>), or a stopping run's.</summary>
        Results,

        /// <summary>The task holds the ordered flush and the output is full: the loop finishes the flush.</summary>
        Flush,
    }

    /// <summary>
    /// A loop's batch task: the batch it runs now, and what it hands back. Written by the task on the executor's
    /// thread and read by the loop after awaiting the task, which orders the two; never shared between loops.
    /// </summary>
    private sealed class Chunk
    {
        public List<TIn> Scratch { get; } = [];

        public TIn[] Items { get; private set; } = [];

        public Entry? Entry { get; private set; }

        public bool Ran { get; set; }

        public long WorkTicks { get; private set; }

        public int ItemCount { get; private set; }

        public Leftover Left { get; set; }

        public Outcome<TOut>[]? Outcomes { get; set; }

        public Results Results { get; set; }

        public int WriteFrom { get; set; }

        /// <summary>Readies the chunk for a new task starting with <paramref name="items"/>.</summary>
        public void Start(TIn[] items, Entry? entry)
        {
            Ran = false;
            WorkTicks = 0;
            ItemCount = 0;
            Next(items, entry);
        }

        /// <summary>Moves a running task on to its next batch.</summary>
        public void Next(TIn[] items, Entry? entry)
        {
            Items = items;
            Entry = entry;
            Left = Leftover.None;
            Outcomes = null;
            Results = default;
            WriteFrom = 0;
        }

        /// <summary>Counts a finished batch's work towards the task's measurement.</summary>
        public void AddWork(long workTicks, int items)
        {
            WorkTicks += workTicks;
            ItemCount += items;
        }
    }

    /// <summary>An ordered take (an item or a batch) between take and write.</summary>
    private sealed class Entry
    {
        public bool Ready { get; set; }

        /// <summary>How many items were taken, each holding a window place until the entry is written.</summary>
        public int Taken { get; init; }

        public Results Results { get; set; }

        /// <summary>How many of the results the flusher has written; only the holder of the flush touches it.</summary>
        public int Written { get; set; }
    }
}
