using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.Versioning;
using Spindle.Diagnostics;
using Spindle.Internal;
using Spindle.Threads;

namespace Spindle;

/// <summary>
/// Runs many tasks at the same time, on threads or on worker processes, behind one API:
/// <c>Submit</c>, <c>Map</c>, <c>MapUnordered</c> and <see cref="ShutdownAsync"/>.
/// </summary>
/// <remarks>
/// Create one with <see cref="Threads"/> or <see cref="Processes"/>. Every shape of work (sync or async, with
/// or without a token) funnels into one core method per variant; Map and MapUnordered are written once, here,
/// on top of it (as CPython writes map on top of submit), and a variant may replace them (processes batch).
/// </remarks>
public abstract partial class Executor : IAsyncDisposable
{
    private readonly ProgressTracker _tracker = new();

    // Starts at 1: the executor's own reference, dropped by shutdown. Each accepted task adds one until it
    // finishes, so reaching 0 means "shut down and drained" without a lock on the submit path.
    private int _outstanding = 1;
    private volatile bool _shutdownRequested;
    private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _stopStarted;

    private EventHandler<ExecutorProgress>? _progressChanged;

    private protected Executor(string name)
    {
        Name = name;
        SpindleTelemetry.Register(this);
    }

    /// <summary>Creates an executor that runs tasks on threads of this process: an I/O lane and a CPU lane.</summary>
    public static Executor Threads(ThreadExecutorOptions? options = null) => new ThreadExecutor(options ?? new ThreadExecutorOptions());

    /// <summary>Creates an executor that runs tasks in worker processes (this app, re-executed), each with its own memory.</summary>
    /// <remarks>
    /// Linux and macOS only: workers talk over Unix domain sockets and live in process groups (Windows throws
    /// <see cref="PlatformNotSupportedException"/>). Not for trimmed or Native AOT apps: arguments and results are
    /// serialized by MessagePack's contractless resolver, which reflects over their types and emits code at run time,
    /// and a worker finds the work's method by its metadata token.
    /// </remarks>
    [SupportedOSPlatform("linux")]
    [SupportedOSPlatform("macos")]
    [RequiresDynamicCode(ProcessesNeedDynamicCode)]
    [RequiresUnreferencedCode(ProcessesNeedUnreferencedCode)]
    public static Executor Processes(ProcessExecutorOptions? options = null) => new Processes.ProcessExecutor(options ?? new ProcessExecutorOptions());

    /// <summary>
    /// Creates an executor that chooses the technique per function: I/O lane, CPU lane or worker processes, from the
    /// function's declared kind or from measuring it. Its <see cref="AutoExecutor.Report"/> explains each choice.
    /// </summary>
    /// <remarks>
    /// Linux and macOS only, and not for trimmed or Native AOT apps, for the reasons <see cref="Processes"/> gives: Auto
    /// owns a process executor for work that is, or is declared, isolated.
    /// </remarks>
    [SupportedOSPlatform("linux")]
    [SupportedOSPlatform("macos")]
    [RequiresDynamicCode(ProcessesNeedDynamicCode)]
    [RequiresUnreferencedCode(ProcessesNeedUnreferencedCode)]
    public static AutoExecutor Auto(AutoExecutorOptions? options = null) => new(options ?? new AutoExecutorOptions());

    private const string ProcessesNeedDynamicCode =
        "Worker processes serialize arguments and results with MessagePack's contractless resolver, which generates code at run time; use Executor.Threads in a Native AOT app.";

    private const string ProcessesNeedUnreferencedCode =
        "Worker processes serialize arguments and results by reflecting over their types and find the work's method by its metadata token, which trimming can remove; use Executor.Threads in a trimmed app.";

    /// <summary>The executor's name, used in metrics, logs and worker output.</summary>
    public string Name { get; }

    /// <summary>How this executor runs its tasks.</summary>
    public abstract Technique Technique { get; }

    /// <summary>The current task counts.</summary>
    public ExecutorProgress Progress => Snapshot();

    /// <summary>Whether <see cref="ShutdownAsync"/> or <see cref="DisposeAsync"/> has been called.</summary>
    public bool IsShutdown => _shutdownRequested;

    /// <summary>Raised, on the thread where it happened, each time a task is queued, starts or finishes.</summary>
    public event EventHandler<ExecutorProgress>? ProgressChanged
    {
        add
        {
            lock (_tracker)
            {
                if (_progressChanged is null)
                {
                    _tracker.Changed += RaiseProgressChanged;
                }

                _progressChanged += value;
            }
        }

        remove
        {
            lock (_tracker)
            {
                _progressChanged -= value;
                if (_progressChanged is null)
                {
                    _tracker.Changed -= RaiseProgressChanged;
                }
            }
        }
    }

    internal ProgressTracker Tracker => _tracker;

    /// <summary>Accepted tasks not yet ended, plus one for the executor's own reference while it is live.</summary>
    private protected int Outstanding => Volatile.Read(ref _outstanding);

    /// <summary>The number of tasks Map keeps in flight when MapOptions.MaxInFlight is not set.</summary>
    private protected abstract int DefaultMaxInFlight { get; }

    /// <summary>
    /// Stops accepting work and waits for accepted work to end. Cancelling <paramref name="cancellationToken"/>
    /// stops the wait and cancels the tokens of running tasks.
    /// </summary>
    public async Task ShutdownAsync(ShutdownMode mode = ShutdownMode.Graceful, CancellationToken cancellationToken = default)
    {
        if (!_shutdownRequested)
        {
            _shutdownRequested = true;
            ReleaseOutstanding();
        }

        if (mode == ShutdownMode.CancelPending)
        {
            CancelPending();
        }

        try
        {
            await _drained.Task.WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            CancelRunning();
            throw;
        }

        // Once: a host that stops the executor and then disposes its container shuts it down twice, and the second
        // call waits for the first stop instead of releasing threads, workers and files again.
        if (Interlocked.Exchange(ref _stopStarted, 1) == 0)
        {
            try
            {
                await StopCoreAsync();
                SpindleTelemetry.Unregister(this);
            }
            finally
            {
                _stopped.TrySetResult();
            }
        }
        else
        {
            await _stopped.Task.WaitAsync(cancellationToken);
        }
    }

    /// <summary>Shuts down gracefully: running and pending tasks finish first.</summary>
    public async ValueTask DisposeAsync()
    {
        await ShutdownAsync();
        GC.SuppressFinalize(this);
    }

    /// <summary>Runs one task; the core every Submit overload calls.</summary>
    private protected abstract Task<TResult> SubmitCore<TArg, TResult>(Work<TArg, TResult> work, TArg arg, TaskOptions options, CancellationToken cancellationToken);

    /// <summary>Ends pending (not yet started) tasks as cancelled.</summary>
    private protected abstract void CancelPending();

    /// <summary>Cancels the tokens of running tasks (shutdown was asked to stop waiting).</summary>
    private protected abstract void CancelRunning();

    /// <summary>Releases threads, workers and files once all accepted work has ended.</summary>
    private protected abstract ValueTask StopCoreAsync();

    /// <summary>A Map's bound on items in flight: the caller's, or the variant's default.</summary>
    private protected int MaxInFlight(MapOptions options) => options.MaxInFlight ?? DefaultMaxInFlight;

    /// <summary>Counts a task as accepted, or throws if the executor is shut down.</summary>
    private protected void AcceptTask()
    {
        Interlocked.Increment(ref _outstanding);
        if (_shutdownRequested)
        {
            ReleaseOutstanding();
            ThrowShutdown();
        }
    }

    /// <summary>Counts an accepted task as ended; returns what is left of <see cref="Outstanding"/> (1: live and idle).</summary>
    private protected int ReleaseOutstanding()
    {
        var left = Interlocked.Decrement(ref _outstanding);
        if (left == 0)
        {
            _drained.TrySetResult();
        }

        return left;
    }

    internal void ThrowIfShutdown()
    {
        if (_shutdownRequested)
        {
            ThrowShutdown();
        }
    }

    private void ThrowShutdown() =>
        throw new InvalidOperationException($"The executor '{Name}' has been shut down and accepts no more work; create a new executor.");

    private void RaiseProgressChanged() => _progressChanged?.Invoke(this, Snapshot());

    /// <summary>The counts behind <see cref="Progress"/>; an executor made of others (Auto) adds theirs up.</summary>
    private protected virtual ExecutorProgress Snapshot() => _tracker.Snapshot();

    /// <summary>Runs one task through this executor's core; lets an executor made of others (Auto) route to them.</summary>
    internal Task<TResult> SubmitInternal<TArg, TResult>(Work<TArg, TResult> work, TArg arg, TaskOptions options, CancellationToken cancellationToken) =>
        SubmitCore(work, arg, options, cancellationToken);

    /// <summary>Ends pending tasks as cancelled, for an executor made of others.</summary>
    internal void CancelPendingInternal() => CancelPending();

    /// <summary>Cancels running tasks, for an executor made of others.</summary>
    internal void CancelRunningInternal() => CancelRunning();

    /// <summary>The Map engine; a variant may replace it (the process executor batches items).</summary>
    private protected virtual IAsyncEnumerable<TResult> MapCore<TArg, TResult>(Work<TArg, TResult> work, IAsyncEnumerable<TArg> source, MapOptions options, CancellationToken cancellationToken) =>
        MapOrdered(work, source, options, cancellationToken);

    /// <summary>The MapUnordered engine; a variant may replace it.</summary>
    private protected virtual IAsyncEnumerable<(TArg Input, TResult Result)> MapUnorderedCore<TArg, TResult>(Work<TArg, TResult> work, IAsyncEnumerable<TArg> source, MapOptions options, CancellationToken cancellationToken) =>
        MapAsCompleted(work, source, options, cancellationToken);

    /// <summary>
    /// Whether the Map engines below pull their source in bursts: an executor that sends items in batches (the cluster)
    /// queues all the window lets it pull before sending any (<see cref="SubmitForMap"/>, then <see cref="FlushMap"/>),
    /// and pulls again only once the window is down to half. Otherwise one item is pulled as each result is taken.
    /// </summary>
    private protected virtual bool MapPullsInBursts => false;

    /// <summary>Submits one item of a Map; a batching executor may hold it until <see cref="FlushMap"/>.</summary>
    private protected virtual Task<TResult> SubmitForMap<TArg, TResult>(Work<TArg, TResult> work, TArg arg, MapOptions options, CancellationToken cancellationToken) =>
        SubmitCore(work, arg, options.Task, cancellationToken);

    /// <summary>Sends what <see cref="SubmitForMap"/> holds: after each fill of the window, and whenever the source makes the Map wait.</summary>
    private protected virtual void FlushMap()
    {
    }

    /// <summary>The next item of a Map's source; when the source makes the Map wait, what is held goes out meanwhile.</summary>
    private ValueTask<bool> PullForMap<TArg>(IAsyncEnumerator<TArg> enumerator)
    {
        var next = enumerator.MoveNextAsync();
        if (!next.IsCompleted)
        {
            FlushMap();
        }

        return next;
    }

    private async IAsyncEnumerable<TResult> MapOrdered<TArg, TResult>(
        Work<TArg, TResult> work, IAsyncEnumerable<TArg> source, MapOptions options, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ThrowIfShutdown();
        var maxInFlight = MaxInFlight(options);

        // One token for everything this Map started: a failure, an early break by the consumer, or the
        // caller's token cancels the tasks still in flight, so nothing outlives the enumeration.
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var refillAt = MapPullsInBursts ? maxInFlight / 2 : maxInFlight - 1;
        var window = new Queue<Task<TResult>>(Math.Min(maxInFlight, 1024));
        var enumerator = source.GetAsyncEnumerator(cts.Token);
        var more = true;
        try
        {
            while (true)
            {
                // Pull only while the window has room: this bound is what keeps an endless source in constant memory.
                if (window.Count <= refillAt)
                {
                    while (more && window.Count < maxInFlight)
                    {
                        if (!await PullForMap(enumerator))
                        {
                            more = false;
                            break;
                        }

                        window.Enqueue(SubmitForMap(work, enumerator.Current, options, cts.Token));
                    }

                    FlushMap();
                }

                if (window.Count == 0)
                {
                    yield break;
                }

                // Awaiting the head rethrows its exception unchanged: the first failure in input order wins,
                // and the finally below stops pulling the source.
                yield return await window.Dequeue();
            }
        }
        finally
        {
            await cts.CancelAsync();
            await enumerator.DisposeAsync();
            await Quietly.WaitAll(window);
        }
    }

    private async IAsyncEnumerable<(TArg Input, TResult Result)> MapAsCompleted<TArg, TResult>(
        Work<TArg, TResult> work, IAsyncEnumerable<TArg> source, MapOptions options, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ThrowIfShutdown();
        var maxInFlight = MaxInFlight(options);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);

        // Completed tasks are posted here by their continuations; the channel never holds more than
        // maxInFlight entries because no more tasks than that exist at once.
        var done = System.Threading.Channels.Channel.CreateUnbounded<(TArg, Task<TResult>)>(
            new System.Threading.Channels.UnboundedChannelOptions { SingleReader = true });
        var refillAt = MapPullsInBursts ? maxInFlight / 2 : maxInFlight - 1;
        var inFlight = new HashSet<Task<TResult>>();
        var enumerator = source.GetAsyncEnumerator(cts.Token);
        var more = true;
        try
        {
            while (true)
            {
                if (inFlight.Count <= refillAt)
                {
                    while (more && inFlight.Count < maxInFlight)
                    {
                        if (!await PullForMap(enumerator))
                        {
                            more = false;
                            break;
                        }

                        var input = enumerator.Current;
                        var task = SubmitForMap(work, input, options, cts.Token);
                        inFlight.Add(task);
                        _ = task.ContinueWith(
                            static (t, state) => ((System.Threading.Channels.ChannelWriter<(TArg, Task<TResult>)>, TArg))state!
                                is var (writer, input) ? writer.TryWrite((input, t)) : false,
                            (done.Writer, input),
                            CancellationToken.None,
                            TaskContinuationOptions.ExecuteSynchronously,
                            TaskScheduler.Default);
                    }

                    FlushMap();
                }

                if (inFlight.Count == 0)
                {
                    yield break;
                }

                var (arg, completed) = await done.Reader.ReadAsync(CancellationToken.None);
                inFlight.Remove(completed);
                yield return (arg, await completed);
            }
        }
        finally
        {
            await cts.CancelAsync();
            await enumerator.DisposeAsync();
            await Quietly.WaitAll(inFlight);
        }
    }
}
