using System.Diagnostics;
using Spindle.Internal;

namespace Spindle.Pipelines;

/// <summary>
/// A stage's batch tasks, on a thread executor: a loop submits what it took as one task, which runs the work on each
/// item, passes the results on itself while the output buffer has room, then takes the next batch from the input
/// itself, for as long as input is buffered and its time budget lasts (<see cref="StageRunner{TIn,TOut}.ExtendTicks"/>).
/// </summary>
/// <remarks>
/// A busy stage pays one hand-off between threads per budget instead of two per batch, much as a TPL Dataflow block
/// pays one per burst of input. Only what would need waiting goes back to the loop (<see cref="Leftover"/>): items that
/// failed (the error policy may retry one as a new task) and a full output buffer. The task's work loop is written
/// twice, for synchronous and asynchronous work: one form would give every synchronous item an await.
/// </remarks>
internal sealed class BatchTask<TIn, TOut> : IDisposable
{
    private readonly StageRunner<TIn, TOut> _runner;
    private readonly PipelineRunState _run;
    private readonly IPipelineHost _host;
    private readonly Work<TIn, TOut> _batchWork;
    private readonly TaskOptions _taskOptions;
    private readonly StageWriter<TOut> _writer;
    private readonly OrderedWriter<TOut>? _ordered;
    private readonly WindowPlaces? _window;
    private readonly StageErrorHandler<TIn, TOut> _errors;
    private readonly StageCounters _counters;

    // What a batch task runs on the executor; built once per stage, so a submit allocates no delegate.
    private readonly Work<Chunk, Chunk> _work;

    // The token batch tasks run under: the run's, linked once per stage to the executor's stop token. Batch tasks are
    // submitted without a token of their own, so a task costs no linked source and no registration on the run's
    // shared token (each would take that token's lock, on every thread of every stage); a task the run's stop finds
    // still queued runs, sees the token cancelled, and drops its items at once.
    private readonly CancellationTokenSource _tokenSource;

    public BatchTask(
        StageRunner<TIn, TOut> runner,
        PipelineRunState run,
        IPipelineHost host,
        Work<TIn, TOut> batchWork,
        TaskOptions taskOptions,
        StageWriter<TOut> writer,
        OrderedWriter<TOut>? ordered,
        WindowPlaces? window,
        StageErrorHandler<TIn, TOut> errors,
        StageCounters counters)
    {
        _runner = runner;
        _run = run;
        _host = host;
        _batchWork = batchWork;
        _taskOptions = taskOptions;
        _writer = writer;
        _ordered = ordered;
        _window = window;
        _errors = errors;
        _counters = counters;
        _work = batchWork.Sync is not null ? Work<Chunk, Chunk>.Of(RunBatches) : Work<Chunk, Chunk>.Of(RunBatchesAsync);
        _tokenSource = CancellationTokenSource.CreateLinkedTokenSource(run.Token, host.StopToken);
    }

    /// <summary>What a batch task hands back to its loop.</summary>
    public enum Leftover
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

    /// <summary>Frees the tasks' token; called once no loop or task can use it.</summary>
    public void Dispose() => _tokenSource.Dispose();

    /// <summary>In a loop: submits its batch as one task and finishes, without blocking a thread, whatever the task handed back.</summary>
    public async Task SubmitAsync(Chunk chunk, CancellationToken token)
    {
        Task<Chunk> task;
        try
        {
            // The loop goes on, on the executor's thread, as the task ends: it passes results on and submits the next
            // task, all without blocking, so it needs no hop to the thread pool first.
            task = _host.SubmitContinuingHere(_work, chunk, _taskOptions);
        }
#pragma warning disable CA1031 // Every error is routed to the run; none may escape a stage.
        catch (Exception e)
#pragma warning restore CA1031
        {
            _errors.FailSubmit(chunk.Items[0], e, chunk.Items.Length);
            await _runner.DeliverAsync(chunk.Entry, default, 0, token);
            return;
        }

        var startedAt = _run.SinceStart;
        _counters.Started(startedAt);
        try
        {
            await task;
        }
#pragma warning disable CA1031 // The task as a whole failed (not one of its items): see below.
        catch (Exception e)
#pragma warning restore CA1031
        {
            _counters.Ended(startedAt, _run.SinceStart);
            StageResults<TOut> retried = default;
            if (chunk.Ran)
            {
                // The task code catches every item's error, so a task that ran and failed broke that promise.
                _run.Fail(e);
            }
            else if (!token.IsCancellationRequested)
            {
                // It never ran (cancelled while queued, say): each item is tried alone, under the error policy.
                retried = await _errors.ApplyAsync(chunk.Items, null, token);
            }

            await _runner.DeliverAsync(chunk.Entry, retried, 0, token);
            return;
        }

        var endedAt = _run.SinceStart;
        _counters.Ended(startedAt, endedAt);
        _runner.Measure(endedAt - startedAt, chunk.WorkTicks, chunk.ItemCount);
        switch (chunk.Left)
        {
            case Leftover.Failures:
                await _runner.DeliverAsync(chunk.Entry, await _errors.ApplyAsync(chunk.Items, chunk.Outcomes, token), 0, token);
                break;
            case Leftover.Results:
                await _runner.DeliverAsync(chunk.Entry, chunk.Results, chunk.WriteFrom, token);
                break;
            case Leftover.Flush:
                await _ordered!.FlushOwnedAsync(token);
                break;
            default:
                break;
        }
    }

    /// <summary>A batch task of synchronous work, on the executor's thread: the batch, then more while input and budget last.</summary>
    private Chunk RunBatches(Chunk chunk, CancellationToken _)
    {
        chunk.Ran = true;
        var token = _tokenSource.Token;
        var work = _batchWork.Sync!;
        var budget = Stopwatch.GetTimestamp() + _runner.ExtendTicks();
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

    /// <summary>A batch task of asynchronous work; as <see cref="RunBatches"/>, awaiting each item in turn.</summary>
    private async Task<Chunk> RunBatchesAsync(Chunk chunk, CancellationToken _)
    {
        chunk.Ran = true;
        var token = _tokenSource.Token;
        var work = _batchWork.Async!;
        var budget = Stopwatch.GetTimestamp() + _runner.ExtendTicks();
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

        var results = new StageResults<TOut>(values.Length, default, values);
        if (token.IsCancellationRequested)
        {
            // The loop's delivery drops them and, for an ordered stage, moves the order queue past them.
            chunk.Results = results;
            chunk.Left = Leftover.Results;
            return false;
        }

        if (chunk.Entry is not { } entry)
        {
            var written = _writer.TryWrite(results, 0);
            if (written < values.Length)
            {
                chunk.Results = results;
                chunk.WriteFrom = written;
                chunk.Left = Leftover.Results;
                return false;
            }

            return true;
        }

        if (!_ordered!.MarkReady(entry, results) || _ordered.TryFlush(_run.Token, out _))
        {
            // Another holds the flush and will write this entry in its turn, or this task wrote every ready entry.
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

        var taken = _runner.TryTake(chunk.Scratch);
        if (taken.Count == 0)
        {
            _window?.Release();
            return false;
        }

        chunk.Next(taken.Many!, taken.Entry);
        _counters.In(taken.Count);
        return true;
    }

    /// <summary>
    /// A loop's batch task: the batch it runs now, and what it hands back. Written by the task on the executor's
    /// thread and read by the loop after awaiting the task, which orders the two; never shared between loops.
    /// </summary>
    public sealed class Chunk
    {
        public List<TIn> Scratch { get; } = [];

        public TIn[] Items { get; private set; } = [];

        public OrderedWriter<TOut>.Entry? Entry { get; private set; }

        public bool Ran { get; set; }

        public long WorkTicks { get; private set; }

        public int ItemCount { get; private set; }

        public Leftover Left { get; set; }

        public Outcome<TOut>[]? Outcomes { get; set; }

        public StageResults<TOut> Results { get; set; }

        public int WriteFrom { get; set; }

        /// <summary>Readies the chunk for a new task starting with <paramref name="items"/>.</summary>
        public void Start(TIn[] items, OrderedWriter<TOut>.Entry? entry)
        {
            Ran = false;
            WorkTicks = 0;
            ItemCount = 0;
            Next(items, entry);
        }

        /// <summary>Moves a running task on to its next batch.</summary>
        public void Next(TIn[] items, OrderedWriter<TOut>.Entry? entry)
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
}
