using System.Net.Sockets;
using System.Security.Cryptography;
using Spindle.Internal;
using Spindle.Processes.Protocol;

namespace Spindle.Processes;

/// <summary>
/// The worker processes of one process executor: launching them, accepting and authenticating their connections, the
/// start timeout, the monitor (memory, idleness), replacing the lost, the Events option, and killing them all when this
/// process exits. The scheduler (<see cref="ProcessExecutor"/>) decides what they run.
/// </summary>
/// <remarks>
/// The worker list, worker states and the counts here are guarded by the executor's gate, which this set shares rather
/// than having a lock of its own: a worker's arrival or loss changes what dispatch may do, and a dispatch must never see
/// a worker half added or half removed.
/// </remarks>
#pragma warning disable CA1001 // The executor's shutdown disposes the listener and the monitor (StopAsync), or the process exits (KillAll).
internal sealed class WorkerSet
#pragma warning restore CA1001
{
    private readonly ProcessExecutor _scheduler;
    private readonly object _gate;
    private readonly ProcessExecutorOptions _options;
    private readonly string _directory;
    private readonly string _socketPath;
    private readonly Socket _listener;
    private readonly byte[] _token = RandomNumberGenerator.GetBytes(32);
    private readonly string _tokenHex;
    private readonly Timer? _monitor;
    private readonly DirectoryJanitor? _janitor;
    private readonly EventHandler _onProcessExit;
    private int _nextWorkerId;
    private int _startFailures;
    private int _rejectedConnections;
    private bool _stopping;

    public WorkerSet(ProcessExecutor scheduler, object gate, ProcessExecutorOptions options)
    {
        _scheduler = scheduler;
        _gate = gate;
        _options = options;
        _tokenHex = Convert.ToHexString(_token);

        // A fresh directory only this user can enter: the socket inside it is unreachable to other users,
        // and the token keeps out this user's other processes.
        _directory = Path.Combine(Path.GetTempPath(), $"spindle-{Environment.ProcessId}-{Convert.ToHexString(RandomNumberGenerator.GetBytes(6)).ToLowerInvariant()}");
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("Executor.Processes needs Unix domain sockets and process groups, available on Linux and macOS.");
        }

        // Started before the directory exists, so that there is no moment at which a killed parent leaves it behind.
        _janitor = DirectoryJanitor.Start(_directory);
        Directory.CreateDirectory(_directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        _socketPath = Path.Combine(_directory, "w.sock");
        _listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        _listener.Bind(new UnixDomainSocketEndPoint(_socketPath));
        _listener.Listen(128);
        _ = AcceptLoopAsync();

        // Workers die with their parent anyway (end of stream on their socket, then they kill their own group and
        // remove the socket directory); this does it at once on an orderly exit. Registered by each executor for its
        // own life, never from a static constructor: Ctrl-C belongs to the app (a host drains on it, then stops us).
        _onProcessExit = (_, _) => KillAll();
        AppDomain.CurrentDomain.ProcessExit += _onProcessExit;

        if (options.MemoryLimitBytes is not null || options.IdleTimeout is not null)
        {
            _monitor = new Timer(static s => ((WorkerSet)s!).Monitor(), this, 200, 200);
        }
    }

    /// <summary>Every worker not yet lost, starting or ready; guarded by the gate.</summary>
    public List<WorkerHandle> Workers { get; } = [];

    /// <summary>The private directory that holds the socket.</summary>
    public string SocketDirectory => _directory;

    /// <summary>The socket workers connect back to.</summary>
    public string SocketPath => _socketPath;

    /// <summary>Connections refused at the handshake (a wrong token, an unknown worker).</summary>
    public int RejectedConnections => Volatile.Read(ref _rejectedConnections);

    /// <summary>The process ids of the live workers.</summary>
    public int[] ReadyPids()
    {
        lock (_gate)
        {
            return [.. Workers.Where(static w => w.State == WorkerState.Ready).Select(static w => w.Pid)];
        }
    }

    /// <summary>Starts workers until there are as many as wanted: all of MaxWorkers (once one is up), or (lazily) one per pending task.</summary>
    // Whether a worker of this executor has ever come up (under the gate): until then, Eager starts one worker only.
    private bool _anyReady;

    public void EnsureLocked(int pending)
    {
        if (_stopping || (_startFailures >= 3 && !Workers.Any(static w => w.State == WorkerState.Ready)))
        {
            return;
        }

        var active = Workers.Count(static w => !w.Retiring);
        var wanted = _options.Start == WorkerStart.Lazy
            ? Math.Min(_options.MaxWorkers, active + pending)
            : _anyReady || pending > active
                ? _options.MaxWorkers

                // Eager, before any worker is up: one starts alone and the others once it is ready, or at once when tasks
                // are waiting for them. Workers started together share the cores with each other and with this process,
                // so on a small machine the first result would wait for all of their starts.
                : Math.Max(active, 1);
        for (var i = active; i < wanted; i++)
        {
            var id = Interlocked.Increment(ref _nextWorkerId);
            var worker = new WorkerHandle(this, _gate, id, new WorkerOutput(_scheduler.Name, _options.Output, id));
            Workers.Add(worker);

            // Launching forks a process: done off the gate, and in parallel for several workers.
            ThreadPool.UnsafeQueueUserWorkItem(static s => s.Self.Launch(s.Worker), (Self: this, Worker: worker), preferLocal: false);
        }
    }

    /// <summary>The process of a worker ended: if it never connected, its start failed.</summary>
    public void OnWorkerExited(WorkerHandle worker)
    {
        bool neverConnected;
        lock (_gate)
        {
            neverConnected = worker.State == WorkerState.Starting;
        }

        if (neverConnected)
        {
            OnStartFailed(worker, null);
        }
    }

    /// <summary>A worker's channel ended: its tasks go back to the scheduler, and a new worker takes its place.</summary>
    public void OnWorkerLost(WorkerHandle worker, Exception? cause)
    {
        // Kill the group first: the worker may be half-dead, and its tasks' children must not outlive it.
        worker.KillGroup();
        var (exitCode, signal) = worker.WaitForExit();
        var failed = new List<(ProcessTask Task, Exception Error)>();
        bool wasReady;
        bool wasIdle;
        lock (_gate)
        {
            var previous = worker.BecomeLostLocked();
            if (previous == WorkerState.Lost)
            {
                return;
            }

            wasReady = previous == WorkerState.Ready;
            worker.StopTimerLocked();
            Workers.Remove(worker);
            wasIdle = _scheduler.TakeBackLocked(worker, exitCode, signal, cause, _stopping, failed);
            EnsureLocked(_scheduler.PendingCountLocked);
            _scheduler.DispatchLocked();
        }

        worker.Release();
        if (wasReady)
        {
            // Only a worker announced as started is announced as ended, so that a listener can count the live ones.
            var (kind, reason) = WorkerEndings.LostEvent(worker, cause, wasIdle, _options.MemoryLimitBytes);
            RaiseEvent(kind, worker, exitCode, signal, reason, kind == WorkerEventKind.Exited ? [] : worker.StderrTail());
        }

        ProcessExecutor.EndLost(failed);
    }

    /// <summary>Tells the Events option about a worker; a throwing listener is ignored.</summary>
    public void RaiseEvent(WorkerEventKind kind, WorkerHandle worker, int? exitCode, int? signal, string? reason, string[] stderrTail)
    {
        if (_options.Events is not { } events)
        {
            return;
        }

        try
        {
            events(new WorkerEvent(kind, _scheduler.Name, worker.Id, worker.Pid, exitCode, signal, reason, stderrTail));
        }
#pragma warning disable CA1031 // A listener's bug must not stop the executor from settling tasks and replacing workers.
        catch
        {
        }
#pragma warning restore CA1031
    }

    /// <summary>
    /// Starts no more workers, and either marks every worker to be killed for <paramref name="killReason"/> (the
    /// caller kills them) or, without one, retires them. Returns the workers there were.
    /// </summary>
    public WorkerHandle[] Stop(KillReason? killReason)
    {
        WorkerHandle[] workers;
        lock (_gate)
        {
            _stopping = true;
            workers = [.. Workers];
            foreach (var worker in workers)
            {
                if (killReason is { } reason)
                {
                    worker.MarkForKillLocked(reason);
                }
                else
                {
                    worker.RetireLocked();
                }
            }
        }

        return workers;
    }

    /// <summary>Retires every worker, waits a few seconds for each to exit (then kills it), and removes the socket.</summary>
    public async ValueTask StopAsync()
    {
        foreach (var worker in Stop(killReason: null))
        {
            if (worker.Process is { } process)
            {
                using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                try
                {
                    await process.WaitForExitAsync(wait.Token);
                }
                catch (OperationCanceledException)
                {
                    worker.KillGroup();
                }
                catch (InvalidOperationException)
                {
                    // It ended and was released already (ObjectDisposedException is one of these).
                }
            }
        }

        if (_monitor is not null)
        {
            await _monitor.DisposeAsync();
        }

        Release();
    }

    private void OnStartFailed(WorkerHandle worker, Exception? cause)
    {
        worker.KillGroup();
        var (exitCode, signal) = worker.WaitForExit();
        List<ProcessTask> doomed = [];
        WorkerStartException? error = null;
        lock (_gate)
        {
            if (worker.State != WorkerState.Starting)
            {
                return;
            }

            worker.BecomeLostLocked();
            Workers.Remove(worker);
            _startFailures++;
            if (_startFailures >= 3 && !Workers.Any(static w => w.State == WorkerState.Ready))
            {
                // Three starts in a row failed and no worker is alive: waiting would hang every caller.
                error = WorkerEndings.StartError(worker, exitCode, signal, cause ?? worker.StartFailure, _options.StartTimeout);
                doomed = _scheduler.TakeAllPendingLocked();
            }
            else
            {
                EnsureLocked(_scheduler.PendingCountLocked);
            }
        }

        worker.Release();
        foreach (var task in doomed)
        {
            task.Node = null;
            task.Fail(error!, wasRunning: false);
        }
    }

    private void Launch(WorkerHandle worker)
    {
        try
        {
            worker.Launch(WorkerLaunch.StartInfo(_options, worker.Id, _socketPath), _tokenHex);
            var startTimeout = _options.StartTimeout;
            // Cancelled once the worker connects or is gone, so that a pending timer does not keep the handle alive.
            _ = Task.Delay(startTimeout, worker.Connected).ContinueWith(
                t =>
                {
                    if (t.IsCanceled)
                    {
                        return;
                    }

                    lock (_gate)
                    {
                        if (worker.State != WorkerState.Starting)
                        {
                            return;
                        }
                    }

                    OnStartFailed(worker, null);
                },
                TaskScheduler.Default);
        }
#pragma warning disable CA1031 // Any failure to start a process is reported to the tasks waiting for a worker.
        catch (Exception e)
#pragma warning restore CA1031
        {
            OnStartFailed(worker, e);
        }
    }

    private async Task AcceptLoopAsync()
    {
        while (true)
        {
            Socket connection;
            try
            {
                connection = await _listener.AcceptAsync();
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                return;
            }

            _ = Task.Run(() => Handshake(connection));
        }
    }

    /// <summary>Authenticates a new connection: the right token, a worker we started, its own pid. Anything else is refused.</summary>
    private void Handshake(Socket connection)
    {
        var stream = new NetworkStream(connection, ownsSocket: true);
        try
        {
            connection.ReceiveTimeout = 5000;
            var reader = new FrameReader(new BufferedStream(stream, 64 * 1024), 1024);
            if (!reader.TryRead(out var type, out var body) || type != FrameType.Hello)
            {
                throw new InvalidDataException("The first frame was not a hello.");
            }

            var (token, workerId, pid, app) = HelloMessage.Read(body);
            if (!CryptographicOperations.FixedTimeEquals(token.Span, _token))
            {
                throw new InvalidDataException("The token was wrong.");
            }

            WorkerHandle? worker;
            lock (_gate)
            {
                worker = Workers.Find(w => w.Id == workerId && w.State == WorkerState.Starting && w.Pid == pid);
            }

            if (worker is null)
            {
                throw new InvalidDataException($"No worker {workerId} with pid {pid} is waiting to connect.");
            }

            if (_options.Command is null && app is not null && app != WorkerLaunch.AppName)
            {
                // Spindle's startup hook ran, but in another program (the .NET SDK, when 'dotnet out/App.dll' is
                // re-executed from another directory): its tasks could not be this app's.
                // Recorded before the kill, whose exit event would otherwise report a plain signal first.
                var refusal = new WorkerStartException(
                    $"it started '{(app.Length == 0 ? "an unnamed program" : app)}' instead of this app ('{WorkerLaunch.AppName}')");
                worker.RefuseAtHandshake(refusal);
                stream.Dispose();
                OnStartFailed(worker, refusal);
                return;
            }

            connection.ReceiveTimeout = 0;
            reader.MaxFrameBytes = _options.MaxFrameBytes;
            worker.Attach(stream, reader, _scheduler);
            SendWelcome(worker);
            lock (_gate)
            {
                if (!worker.BecomeReadyLocked())
                {
                    return;
                }

                _startFailures = 0;
                if (!_anyReady)
                {
                    _anyReady = true;
                    EnsureLocked(_scheduler.PendingCountLocked);
                }
                if (_stopping)
                {
                    worker.RetireLocked();
                }

                _scheduler.DispatchLocked();
            }

            worker.OnConnected();
            RaiseEvent(WorkerEventKind.Started, worker, null, null, null, []);
        }
        catch (Exception e) when (e is InvalidDataException or IOException or SocketException)
        {
            Interlocked.Increment(ref _rejectedConnections);
            stream.Dispose();
        }
    }

    private void SendWelcome(WorkerHandle worker)
    {
        var initializer = _options.Initializer is { } init ? FunctionRef.For(init, "the Initializer option").Method : (MethodRef?)null;
        worker.Sink!.Send(new WelcomeMessage(initializer));
    }

    /// <summary>Checks memory limits and idle workers, a few times a second.</summary>
    private void Monitor()
    {
        List<WorkerHandle> kill = [];
        lock (_gate)
        {
            foreach (var worker in Workers)
            {
                if (worker.State != WorkerState.Ready)
                {
                    continue;
                }

                if (_options.MemoryLimitBytes is { } limit && worker.InFlight.Count > 0)
                {
                    var rss = ResidentMemory.Of(worker.Pid);
                    if (rss > 2 * limit)
                    {
                        worker.MarkOverMemoryLocked(rss);
                        kill.Add(worker);
                    }
                }

                if (_options.IdleTimeout is { } idle && worker.InFlight.Count == 0 && !worker.Retiring
                    && Environment.TickCount64 - worker.LastActivity > idle.TotalMilliseconds && _scheduler.PendingCountLocked == 0)
                {
                    worker.RetireLocked();
                }
            }
        }

        foreach (var worker in kill)
        {
            worker.KillGroup();
        }
    }

    /// <summary>Closes the listener and removes the socket directory.</summary>
    private void Release()
    {
        AppDomain.CurrentDomain.ProcessExit -= _onProcessExit;
        _listener.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }

        _janitor?.Dispose();
    }

    /// <summary>Kills every worker and its task children, and removes the socket directory, as this process exits.</summary>
    private void KillAll()
    {
        WorkerHandle[] workers;
        lock (_gate)
        {
            _stopping = true;
            workers = [.. Workers];
        }

        foreach (var worker in workers)
        {
            worker.KillGroup();
        }

        Release();
    }
}
