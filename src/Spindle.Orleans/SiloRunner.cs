using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Orleans.Runtime;
using Spindle.Processes;
using Spindle.Processes.Protocol;

namespace Spindle.Orleans;

/// <summary>
/// Runs the clients' requests on this silo's executor (a singleton of the silo's host, created and drained by the
/// hosting package): resolves each function once, submits each run, and answers with one reply frame per run.
/// </summary>
internal sealed class SiloRunner : IAsyncDisposable
{
    private readonly ConcurrentDictionary<MethodRef, SiloFunction> _functions = new();

    // The token of every run in progress, by client and task, so that a cancel (which may come from any turn of the
    // grain, interleaved with the runs) reaches it wherever the run is: queued on the executor or running.
    private readonly ConcurrentDictionary<(Guid Client, long TaskId), RunState> _running = new();
    private readonly Lazy<Executor> _executor;
    private AutoExecutor? _auto;

    // Fires when the silo's host begins to stop, before its executor is drained and cancelled.
    private readonly CancellationToken _stopping;

    public SiloRunner(IServiceProvider services, ILocalSiloDetails silo, IOptions<SpindleSiloOptions> options, IHostApplicationLifetime lifetime)
    {
        _stopping = lifetime.ApplicationStopping;
        var settings = options.Value;
        SiloName = silo.SiloAddress.ToString();

        // Resolved on first use, not at construction: the hosting package creates executors when the host starts, and
        // a grain may be activated by an early request while the silo is still starting.
        _executor = new Lazy<Executor>(() => settings.Technique == Technique.Auto
            ? _auto = Executor.Auto()
            : settings.ExecutorName is null
                ? services.GetRequiredService<Executor>()
                : services.GetRequiredKeyedService<Executor>(settings.ExecutorName));
    }

    /// <summary>This silo as errors and pings name it.</summary>
    public string SiloName { get; }

    private long _completed;
    private long _requests;

    /// <summary>The runs in progress here, for tests and diagnostics.</summary>
    public int Running => _running.Count;

    /// <summary>The requests (batches) this silo has received, for tests and diagnostics.</summary>
    public long Requests => Interlocked.Read(ref _requests);

    /// <summary>The runs this silo has finished (with any outcome), for tests and diagnostics.</summary>
    public long Completed => Interlocked.Read(ref _completed);

    private Executor Executor => _executor.Value;

    /// <summary>Drains the Auto executor this silo owns (hosted executors are drained by the hosting package).</summary>
    public async ValueTask DisposeAsync()
    {
        if (_auto is { } auto)
        {
            await auto.ShutdownAsync().ConfigureAwait(false);
        }
    }

    public async Task<byte[]> RunAsync(SiloRequest request)
    {
        Interlocked.Increment(ref _requests);
        var runs = new List<RunMessage>();
        foreach (var (type, body) in Frames.Read(request.Runs))
        {
            runs.Add(type == FrameType.Run ? RunMessage.Read(body) : throw new InvalidDataException($"A cluster request holds a frame of type {type} where runs were expected."));
        }

        SiloFunction function;
        try
        {
            var (type, body) = Frames.Read(request.Define).Single();
            if (type != FrameType.Define)
            {
                throw new InvalidDataException($"A cluster request names its function with a frame of type {type}.");
            }

            function = _functions.GetOrAdd(DefineMessage.Read(body).Method, static m => SiloFunction.Resolve(m));
        }
#pragma warning disable CA1031 // Any failure to resolve the function is every run's error, reported to the client.
        catch (Exception e)
#pragma warning restore CA1031
        {
            var failed = new FrameBuffer(256);
            var error = Describe(e).ToBytes();
            foreach (var run in runs)
            {
                ReplyMessage.Failure(run.TaskId, 0, 0, default, error).WriteTo(failed);
            }

            return failed.Written.ToArray();
        }

        var options = request.Timeout is null && request.Kind is null
            ? TaskOptions.Default
            : new TaskOptions { Timeout = request.Timeout, Kind = request.Kind };
        var executor = Executor;
        var replies = new Task<byte[]>[runs.Count];
        for (var i = 0; i < runs.Count; i++)
        {
            replies[i] = RunOneAsync(executor, function, request.Client, runs[i], options);
        }

        var buffer = new FrameBuffer(Math.Max(256, runs.Count * 32));
        foreach (var reply in replies)
        {
            var frame = await reply.ConfigureAwait(false);
            buffer.WriteBytes(frame);
        }

        return buffer.Written.ToArray();
    }

    public void Cancel(Guid client, long[] taskIds)
    {
        foreach (var id in taskIds)
        {
            if (_running.TryGetValue((client, id), out var run))
            {
                // The run may end and dispose its source at the same moment; a cancel that comes too late has nothing to do.
                try
                {
                    run.Cancellation.Cancel();
                }
                catch (ObjectDisposedException)
                {
                }
            }
        }
    }

    /// <summary>
    /// The replies of the given runs that are still in progress here, once they end; runs this silo does not know (never
    /// received, or already answered) are left out. A client asks after another silo died: a request it sent through that
    /// silo's gateway may have been lost, or the reply to it, which Orleans routes back the same way.
    /// </summary>
    public async Task<byte[]> RecoverAsync(Guid client, long[] taskIds)
    {
        var replies = new List<Task<byte[]>>();
        foreach (var id in taskIds)
        {
            if (_running.TryGetValue((client, id), out var run))
            {
                replies.Add(run.Reply.Task);
            }
        }

        var buffer = new FrameBuffer(256);
        foreach (var reply in replies)
        {
            buffer.WriteBytes(await reply.ConfigureAwait(false));
        }

        return buffer.Written.ToArray();
    }

    private async Task<byte[]> RunOneAsync(Executor executor, SiloFunction function, Guid client, RunMessage run, TaskOptions options)
    {
        var state = new RunState();
        var key = (client, run.TaskId);
        _running[key] = state;
        var reply = await RunOneCoreAsync(executor, function, run, options, state.Cancellation).ConfigureAwait(false);
        _running.TryRemove(key, out _);
        state.Reply.TrySetResult(reply);
        state.Cancellation.Dispose();
        Interlocked.Increment(ref _completed);
        return reply;
    }

    private async Task<byte[]> RunOneCoreAsync(Executor executor, SiloFunction function, RunMessage run, TaskOptions options, CancellationTokenSource cts)
    {
        var clock = Stopwatch.StartNew();
        try
        {
            var result = await function.RunAsync(executor, run.Payload, options, cts.Token).ConfigureAwait(false);
            return ReplyMessage.Result(run.TaskId, 0, clock.Elapsed.Ticks, result).ToFrame();
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested)
        {
            return ReplyMessage.Cancelled(run.TaskId, 0, clock.Elapsed.Ticks).ToFrame();
        }
        catch (Exception e) when (_stopping.IsCancellationRequested && e is OperationCanceledException or InvalidOperationException)
        {
            // Not the client's cancel, nor the work's own error: the silo is going away and its executor cancelled or
            // refused the run. The client runs it elsewhere (with retries) or fails it naming this silo.
            return ReplyMessage.Failure(run.TaskId, 0, clock.Elapsed.Ticks, default, StoppingError.ToBytes()).ToFrame();
        }
#pragma warning disable CA1031 // The work's exception crosses to the client as an error record.
        catch (Exception e)
#pragma warning restore CA1031
        {
            return ReplyMessage.Failure(run.TaskId, 0, clock.Elapsed.Ticks, default, Describe(e).ToBytes()).ToFrame();
        }
    }

    /// <summary>A run in progress: its token, and its reply once it ends (for a client recovering a lost reply).</summary>
    private sealed class RunState
    {
        public CancellationTokenSource Cancellation { get; } = new();

        public TaskCompletionSource<byte[]> Reply { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private static readonly RemoteError StoppingError = new(typeof(SiloLostException).FullName!, "The silo is shutting down.", null, []);

    /// <summary>Whether a reply says the silo stopped before the run could end (rather than the work failing).</summary>
    public static bool IsStoppingReply(ReplyMessage reply) =>
        reply.Type == FrameType.Error && RemoteError.FromBytes(reply.Error).Type == StoppingError.Type;

    /// <summary>
    /// The error as it crosses to the client. Work that failed in one of this silo's worker processes already arrives
    /// as a record of the original exception; it goes on unchanged rather than wrapped in a second one.
    /// </summary>
    private static RemoteError Describe(Exception e) => e is RemoteTaskException remote ? FromRemote(remote) : RemoteError.From(e);

    private static RemoteError FromRemote(RemoteTaskException e) =>
        new(e.RemoteType, e.RemoteMessage, e.RemoteStackTrace, [.. e.InnerRemoteExceptions.Select(FromRemote)]);
}
