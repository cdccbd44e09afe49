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
/// <see cref="BatchSizing.Stage"/>'s target of work, and submits it as one task (<see cref="BatchTask{TIn,TOut}"/>), which
/// passes its results on and takes the next batch itself while input is buffered and its time budget lasts
/// (<see cref="ExtendTicks"/>). Only what would need waiting goes back to the loop: an item that failed (the error
/// policy, <see cref="StageErrorHandler{TIn,TOut}"/>, may retry it as a new task) and a full output buffer. Each loop
/// has at most one task submitted, so at most <c>Parallelism</c> items run at once. Every buffer is bounded: a full
/// output buffer stops a task taking more and the loop writing to it (unordered, <see cref="StageWriter{TOut}"/>) or
/// fills the order window (ordered, <see cref="OrderedWriter{TOut}"/>), which stops loops taking input. That chain is
/// the backpressure that keeps an endless source in constant memory.
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
    // How long a task goes on taking more input: the longest of 1 ms, 50 measured hand-offs (so its one hand-off
    // costs at most a fiftieth) and 64 items of the stage's measured time per item. A busy machine makes hand-offs
    // cost milliseconds (a woken thread waits for a core), so the budget must outgrow them; a stage whose input or
    // output stalls ends its task anyway, so a long budget holds an executor thread only while it has work.
    private const int ExtendMicroseconds = 1_000;
    private const int ExtendHandOffs = 50;
    private const int ExtendItems = 64;

    private static readonly long s_extendTicks = Stopwatch.Frequency * ExtendMicroseconds / 1_000_000;

    private readonly int _parallelism = options.ParallelismOn(executor);
    private readonly StageErrorHandler<TIn, TOut> _errors = new(run, name, executor, submit, taskOptions, options.Errors, counters);
    private readonly StageWriter<TOut> _writer = new(output, counters);

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

    // Ordered stages only: results written in take order, whoever finishes the head writing every ready result.
    private OrderedWriter<TOut>? _ordered;

    // The stage's work time per item, which sizes its batches (and bounds a task's time budget).
    private readonly BatchSizer _sizer = new(BatchSizing.Stage);

    // The time a task spends on everything but its work (queueing on the lane, hand-offs between threads), in ticks
    // and smoothed over eight tasks; 0 until the first task ends. Read and written without a lock: a lost update only
    // delays the estimate by one sample.
    private long _handOffTicks;

    // Batch tasks, on thread executors only (see StageDefinition); null when the stage submits one item per task.
    private BatchTask<TIn, TOut>? _batches;

    public async Task RunAsync()
    {
        var token = run.Token;
        _ordered = _window is null ? null : new OrderedWriter<TOut>(_writer, _window);
        if (batchWork is not null)
        {
            // Batches run only on thread executors, which host them (IPipelineHost).
            _batches = new BatchTask<TIn, TOut>(this, run, (IPipelineHost)executor, batchWork, taskOptions, _writer, _ordered, _window, _errors, counters);
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

    /// <summary>Frees the batch tasks' token; called by <see cref="RunAsync"/> once no loop or task can use it.</summary>
    public void Dispose()
    {
        _batches?.Dispose();
    }

    /// <summary>Takes an item, or a batch, of what is buffered, with its ordered entry; Count 0 if the buffer is empty.</summary>
    /// <remarks>Called by loops and by running batch tasks, which never wait here for more than the take lock.</remarks>
    internal Taken TryTake(List<TIn> scratch)
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

            // The ordered entry is queued under the take lock, so entries are in take order.
            TIn[]? many = batchWork is null ? null : [.. scratch];
            return new Taken(taken, scratch[0], many, _ordered?.Enqueue(taken));
        }
    }

    /// <summary>Passes results on from an ordered entry or directly; for an ordered stage, marks the entry ready and flushes.</summary>
    internal ValueTask DeliverAsync(OrderedWriter<TOut>.Entry? entry, StageResults<TOut> results, int from, CancellationToken token) =>
        entry is null ? _writer.WriteAsync(results, from, token) : new ValueTask(_ordered!.FlushAsync(entry, results, token));

    /// <summary>
    /// How long a task goes on taking input: long enough that its one hand-off is a small share of it, and bounded so
    /// that a stage with endless input still lets other work on the same lane take its turn.
    /// </summary>
    internal long ExtendTicks() =>
        Math.Max(s_extendTicks, Math.Max(ExtendHandOffs * Volatile.Read(ref _handOffTicks), ExtendItems * _sizer.TicksPerItem));

    /// <summary>Updates the smoothed work time per item and hand-off time per task from one task.</summary>
    internal void Measure(long roundTripTicks, long workTicks, int items)
    {
        _sizer.Record(Math.Max(1, items), workTicks);
        var overhead = Math.Max(0, roundTripTicks - workTicks);
        var previous = Volatile.Read(ref _handOffTicks);
        Volatile.Write(ref _handOffTicks, previous == 0 ? overhead : ((previous * 7) + overhead) / 8);
    }

    /// <summary>The order window's places: 2 × <paramref name="parallelism"/> takes of a parallel share of the input buffer.</summary>
    /// <remarks>Counted in longs: a bound near <see cref="int.MaxValue"/> would overflow, and caps the window instead.</remarks>
    private static int WindowSize(int parallelism, int inputCapacity) =>
        (int)Math.Min(int.MaxValue, 2L * parallelism * Math.Max(1, (inputCapacity + 1L) / parallelism));

    private async Task LoopAsync(CancellationToken token)
    {
        // Started from RunAsync's thread; the first yield puts each loop on its own footing.
        await Task.Yield();

        // One per loop, reused by each of its tasks: a loop has at most one task submitted at a time.
        var chunk = new BatchTask<TIn, TOut>.Chunk();
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
                    var (ok, one) = await _errors.RunAsync(taken.One, 1, token);
                    await DeliverAsync(taken.Entry, new StageResults<TOut>(ok ? 1 : 0, one, null), 0, token);
                }
                else
                {
                    chunk.Start(taken.Many, taken.Entry);
                    await _batches!.SubmitAsync(chunk, token);
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

    /// <summary>How many items a batch takes: enough work that taking and passing it on costs little beside it, and a fair share of what is buffered.</summary>
    private int BatchLimit()
    {
        // Cheap items go many at a time, heavy ones alone. Hand-offs between threads need no larger batches: a task
        // pays one per time budget, not one per batch (see ExtendTicks). Small batches of heavy items keep results
        // flowing to the next stage.
        // Leave a share of what is buffered to the other loops, so that batching never idles them.
        return _sizer.Next(Math.Min(inputCapacity, Math.Max(1, input.Count / _parallelism)));
    }

    /// <summary>What a loop took: one item, or a batch (<see cref="Many"/>, which includes the first item), and its ordered entry; Count 0 means the input has ended.</summary>
    internal readonly record struct Taken(int Count, TIn One, TIn[]? Many, OrderedWriter<TOut>.Entry? Entry);
}
