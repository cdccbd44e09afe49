using System.Diagnostics.CodeAnalysis;
using System.Runtime.Versioning;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Spindle.Hosting;

/// <summary>
/// Creates the host's executors from their options (at host start, or on first resolution if that comes first), and
/// shuts them all down with the host: gracefully until the host's shutdown token fires, then by cancelling and killing.
/// </summary>
internal sealed class SpindleExecutorRegistry : IAsyncDisposable
{
    private readonly SpindleRegistrations _registrations;
    private readonly IOptionsMonitor<SpindleExecutorOptions> _options;
    private readonly ILogger _logger;
    private readonly Dictionary<string, HostedExecutor> _executors = [];

    // Guards _executors and _stopped: a request thread resolving an executor may race the host stopping.
    private readonly Lock _lock = new();
    private bool _stopped;
    private Task? _stopping;

    public SpindleExecutorRegistry(SpindleRegistrations registrations, IOptionsMonitor<SpindleExecutorOptions> options, ILoggerFactory? loggerFactory = null)
    {
        _registrations = registrations;
        _options = options;
        _logger = (loggerFactory ?? Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance).CreateLogger("Spindle");
    }

    public IReadOnlyList<string> Names => _registrations.Names;

    /// <summary>The executors created so far, in declaration order.</summary>
    public IReadOnlyList<HostedExecutor> Created
    {
        get
        {
            lock (_lock)
            {
                return [.. _registrations.Names.Where(_executors.ContainsKey).Select(n => _executors[n])];
            }
        }
    }

    public Executor Get(string key) => GetHosted(key).Executor;

    public HostedExecutor GetHosted(string key)
    {
        lock (_lock)
        {
            if (_executors.TryGetValue(key, out var hosted))
            {
                return hosted;
            }

            if (_stopped)
            {
                throw new InvalidOperationException($"The Spindle executor '{DisplayName(key)}' was not created before the host stopped, and is not created after; resolve it while the host runs.");
            }

            if (!_registrations.Names.Contains(key))
            {
                throw new InvalidOperationException($"No Spindle executor named '{key}' is registered; add it with services.AddSpindle().AddExecutor(\"{key}\").");
            }

            // Options are read (and validated, throwing OptionsValidationException with every problem) here, once.
            hosted = Create(key, _options.Get(key));
            _executors.Add(key, hosted);
            return hosted;
        }
    }

    /// <summary>Creates every declared executor; eager worker processes start now. Waits (bounded) for them to connect.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var all = _registrations.Names.Select(GetHosted).ToArray();
        foreach (var hosted in all)
        {
            if (hosted.Workers is { } workers && hosted.Options.Start == WorkerStart.Eager)
            {
                // The first request should not pay for worker start-up; a slow start is logged, never fatal.
                var waited = hosted.Options.StartTimeout ?? TimeSpan.FromSeconds(30);
                try
                {
                    await workers.AllStarted.WaitAsync(waited, cancellationToken).ConfigureAwait(false);
                }
                catch (TimeoutException)
                {
                    SpindleLog.WorkersSlowToStart(_logger, hosted.Executor.Name, workers.Alive, workers.Configured, waited);
                }
            }
        }
    }

    /// <summary>
    /// Drains every executor at once: running and queued tasks finish until <paramref name="cancellationToken"/> (the
    /// host's shutdown timeout) fires; then running tasks are cancelled, pending ones dropped and workers killed.
    /// </summary>
    public Task StopAsync(CancellationToken cancellationToken)
    {
        HostedExecutor[] all;
        lock (_lock)
        {
            // Once: the container disposes the registry after the host has stopped it.
            if (_stopping is not null)
            {
                return _stopping;
            }

            _stopped = true;
            all = [.. _executors.Values];
            _stopping = Task.WhenAll(all.Select(h => StopOneAsync(h.Executor, cancellationToken)));
            return _stopping;
        }
    }

    public async ValueTask DisposeAsync() => await StopAsync(CancellationToken.None).ConfigureAwait(false);

    private async Task StopOneAsync(Executor executor, CancellationToken cancellationToken)
    {
        try
        {
            await executor.ShutdownAsync(ShutdownMode.Graceful, cancellationToken).ConfigureAwait(false);
            SpindleLog.ExecutorStopped(_logger, executor.Name);
            return;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // ShutdownAsync has cancelled running tasks and killed the workers; what is left is releasing them.
            var progress = executor.Progress;
            SpindleLog.ExecutorDrainCut(_logger, executor.Name, progress.Running, progress.Queued);
        }

        try
        {
            // Bounded: a thread task that ignores its token never ends, and the host must still exit.
            await executor.ShutdownAsync(ShutdownMode.CancelPending, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(5), CancellationToken.None).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            SpindleLog.ExecutorStuck(_logger, executor.Name);
        }
    }

    private static string DisplayName(string key) => key.Length == 0 ? "default" : key;

    private HostedExecutor Create(string key, SpindleExecutorOptions options)
    {
        var name = DisplayName(key);
        var workers = options.Workers ?? Environment.ProcessorCount;
        if (options.Technique == Technique.Threads)
        {
            var threads = Executor.Threads(new ThreadExecutorOptions
            {
                Name = name,
                CpuThreads = workers,
                IoConcurrency = options.IoConcurrency ?? new ThreadExecutorOptions().IoConcurrency,
            });
            SpindleLog.ExecutorStarted(_logger, name, Technique.Threads, workers);
            return new HostedExecutor(key, threads, options, null);
        }

        if (OperatingSystem.IsLinux() || OperatingSystem.IsMacOS())
        {
            return CreateProcesses(key, name, workers, options);
        }

        throw new PlatformNotSupportedException($"The Spindle executor '{name}' is configured with Technique Processes, which needs Linux or macOS; set {SpindleExecutorOptions.PathOf(key)}:Technique to Threads on this system.");
    }

    [SupportedOSPlatform("linux")]
    [SupportedOSPlatform("macos")]
    [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = "Hosting is not for trimmed apps when it runs worker processes, as Executor.Processes says.")]
    [UnconditionalSuppressMessage("AOT", "IL3050", Justification = "Hosting is not for Native AOT apps when it runs worker processes, as Executor.Processes says.")]
    private HostedExecutor CreateProcesses(string key, string name, int workers, SpindleExecutorOptions options)
    {
        var counts = new WorkerCounts(workers);
        var defaults = new ProcessExecutorOptions();
        var processOptions = new ProcessExecutorOptions
        {
            Name = name,
            MaxWorkers = workers,
            Start = options.Start,
            MaxTasksPerWorker = options.MaxTasksPerWorker,
            MemoryLimitBytes = options.MemoryLimitMegabytes * 1024L * 1024L,
            IdleTimeout = options.IdleTimeout,
            StartTimeout = options.StartTimeout ?? defaults.StartTimeout,
            CancelGracePeriod = options.CancelGracePeriod ?? defaults.CancelGracePeriod,
            WorkerNice = options.WorkerNice,
            Output = options.LogWorkerOutput ? line => LogOutput(name, line) : static _ => { },
            Events = e =>
            {
                counts.Observe(e);
                LogEvent(e);
            },
        };
        if (options.ConfigureProcesses is { } configure)
        {
            processOptions = configure(processOptions);
        }

        var executor = Executor.Processes(processOptions);
        SpindleLog.ExecutorStarted(_logger, name, Technique.Processes, workers);
        return new HostedExecutor(key, executor, options, counts);
    }

    private void LogOutput(string executor, WorkerOutputLine line)
    {
        if (line.IsError)
        {
            SpindleLog.WorkerStderr(_logger, executor, line.WorkerId, line.ProcessId, line.Line);
        }
        else
        {
            SpindleLog.WorkerStdout(_logger, executor, line.WorkerId, line.ProcessId, line.Line);
        }
    }

    private void LogEvent(WorkerEvent e)
    {
        switch (e.Kind)
        {
            case WorkerEventKind.Started:
                SpindleLog.WorkerStarted(_logger, e.Executor, e.WorkerId, e.ProcessId);
                break;
            case WorkerEventKind.Crashed:
                SpindleLog.WorkerCrashed(_logger, e.Executor, e.WorkerId, e.ProcessId, e.Reason, e.ExitCode, e.Signal,
                    e.StderrTail.Count == 0 ? "(none)" : string.Join(Environment.NewLine, e.StderrTail));
                break;
            case WorkerEventKind.Recycled:
                SpindleLog.WorkerRecycled(_logger, e.Executor, e.WorkerId, e.ProcessId, e.Reason);
                break;
            case WorkerEventKind.TimedOutKilled:
                SpindleLog.WorkerTimedOutKilled(_logger, e.Executor, e.WorkerId, e.ProcessId, e.Reason);
                break;
            default:
                SpindleLog.WorkerExited(_logger, e.Executor, e.WorkerId, e.ProcessId, e.Reason);
                break;
        }
    }
}
