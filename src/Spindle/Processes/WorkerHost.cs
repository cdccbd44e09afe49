using System.Diagnostics;
using System.Net.Sockets;
using System.Reflection;
using System.Runtime.CompilerServices;
using Microsoft.Win32.SafeHandles;
using Spindle.Internal;
using Spindle.Processes.Protocol;

namespace Spindle.Processes;

/// <summary>
/// The worker's side of the channel. A reader thread takes frames off the socket; the main thread runs tasks
/// one at a time, in arrival order (so the parent always knows which task is running: the oldest one it sent);
/// a writer thread sends replies. If the parent goes away the worker takes its process group down with it.
/// </summary>
internal sealed class WorkerHost
{
    private readonly object _lock = new();
    private readonly Queue<RunRequest> _queue = new();
    private readonly HashSet<long> _cancelledBeforeStart = [];
    private readonly Dictionary<int, FunctionInvoker> _functions = [];
    private readonly Dictionary<int, MethodRef> _definitions = [];
    private readonly string _socketPath;
    private readonly int _parentPid;
    private readonly int _maxFrameBytes;
    private readonly long _memoryLimit;
    private readonly Func<bool>? _overMemoryLimit;
    private long _runningId = -1;
    private CancellationTokenSource? _runningCts;
    private bool _stopping;
    private FrameSink? _sink;
    private long _rss;
    private long _rssSampledAt;

    private WorkerHost(string socketPath, int parentPid, int maxFrameBytes, long memoryLimit)
    {
        _socketPath = socketPath;
        _parentPid = parentPid;
        _maxFrameBytes = maxFrameBytes;
        _memoryLimit = memoryLimit;
        _overMemoryLimit = memoryLimit > 0 ? OverMemoryLimit : null;
    }

    /// <summary>Runs the worker until the parent says stop or goes away; returns the exit code.</summary>
    public static int Run()
    {
        var socketPath = Environment.GetEnvironmentVariable(WorkerEnvironment.Socket)!;
        // Read without CultureInfo, so that a worker loads ICU only if its tasks need it.
        var workerId = (int)Digits.Parse(Environment.GetEnvironmentVariable(WorkerEnvironment.WorkerId), 0);
        var parentPid = (int)Digits.Parse(Environment.GetEnvironmentVariable(WorkerEnvironment.ParentPid), 0);
        var maxFrame = (int)Math.Min(int.MaxValue, Digits.Parse(Environment.GetEnvironmentVariable(WorkerEnvironment.MaxFrameBytes), 268435456));
        var memoryLimit = Digits.Parse(Environment.GetEnvironmentVariable(WorkerEnvironment.MemoryLimit), 0);
        WorkerEnvironment.Scrub();

        // The commonest payload's path (MessagePack's writer and reader) is compiled on the side while this thread
        // reads its token, connects and waits for its first task. MessagePack's options are not made here: their
        // security settings load OpenSSL, which a worker pays for only once a task carries a type that needs them.
        new Thread(static () => _ = PayloadSerializer.Deserialize<int>(PayloadSerializer.Serialize(0))) { IsBackground = true, Name = "spindle worker warm-up" }.Start();

        // Its own process group, so that the parent (or the worker itself, when orphaned) can kill the
        // worker together with every process its tasks started.
        Libc.BecomeGroupLeader();

        // The token comes on stdin, never in the environment or the command line, where other users could read it.
        var host = new WorkerHost(socketPath, parentPid, maxFrame, memoryLimit);
        // Read through a file stream on descriptor 0 rather than Console, whose assembly a worker otherwise never needs.
        using var stdin = new StreamReader(new FileStream(new SafeFileHandle(0, ownsHandle: false), FileAccess.Read, bufferSize: 0));
        if (stdin.ReadLine() is not { } line)
        {
            // The parent died before it could hand over the token.
            return host.Abandon(new InvalidOperationException("No token on stdin."));
        }

        return host.Serve(workerId, Convert.FromHexString(line));
    }

    private int Serve(int workerId, byte[] token)
    {
        Stream input, output;
        try
        {
            (input, output) = Connect(_socketPath);
        }
        catch (IOException e)
        {
            // Refused or gone: most likely the parent died while this worker was booting.
            return Abandon(e);
        }

        using var reading = input;
        using var writing = output;
        _sink = new FrameSink(output, "spindle worker writer", _ => DieWithParent());

        // Which app this is goes with the hello, so that a parent whose re-execution started something else can say so.
        _sink.Send(new HelloMessage(token, workerId, Environment.ProcessId, WorkerLaunch.AppName));

        var reader = new FrameReader(new BufferedStream(input, 64 * 1024), _maxFrameBytes);
        FrameType type;
        ReadOnlyMemory<byte> body;
        try
        {
            if (!reader.TryRead(out type, out body) || type != FrameType.Welcome)
            {
                return Abandon(new InvalidDataException("The parent closed the channel instead of welcoming this worker."));
            }
        }
        catch (IOException e)
        {
            return Abandon(e);
        }

        RunInitializer(body);
        new Thread(() => ReadLoop(reader)) { IsBackground = true, Name = "spindle worker reader" }.Start();
        new Thread(WatchParent) { IsBackground = true, Name = "spindle worker watchdog" }.Start();
        ExecuteLoop();
        _sink.Close();
        return 0;
    }

    /// <summary>The channel to the parent: a stream to read and one to write, over one Unix socket.</summary>
    internal static (Stream Input, Stream Output) Connect(string path)
    {
        if (OperatingSystem.IsLinux())
        {
            // Plain libc calls and file streams: System.Net.Sockets would cost a fresh worker about 10 ms of CPU and
            // seven more assemblies before its first task (measured by the worker-startup harness).
            var (read, write) = WorkerSocket.Connect(path);
            return (new FileStream(read, FileAccess.Read, bufferSize: 0), new FileStream(write, FileAccess.Write, bufferSize: 0));
        }

        return ConnectWithSockets(path);
    }

    // A method of its own: compiling a method loads the assemblies of every type it names, and on Linux a worker
    // should not load System.Net.Sockets at all.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static (Stream Input, Stream Output) ConnectWithSockets(string path)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            socket.Connect(new UnixDomainSocketEndPoint(path));
        }
        catch (SocketException e)
        {
            socket.Dispose();
            throw new IOException(e.Message, e);
        }

        var stream = new NetworkStream(socket, ownsSocket: true);
        return (stream, stream);
    }

    private static void RunInitializer(ReadOnlyMemory<byte> welcome)
    {
        if (WelcomeMessage.Read(welcome).Initializer is not { } initializer)
        {
            return;
        }

        var (method, target) = FunctionInvoker.ResolveMethod(initializer);
        method.Invoke(target, null);
    }

    private void ReadLoop(FrameReader reader)
    {
        try
        {
            while (reader.TryRead(out var type, out var body))
            {
                switch (type)
                {
                    case FrameType.Define:
                        var definition = DefineMessage.Read(body);
                        lock (_lock)
                        {
                            _definitions[definition.FunctionId] = definition.Method;
                        }

                        break;
                    case FrameType.Run:
                        // The body is reused by the next read: the run keeps its own copy of the payload.
                        var run = RunMessage.Read(body);
                        var request = new RunRequest(run.TaskId, run.FunctionId, run.IsBatch, run.TraceParent, run.Payload.ToArray());
                        lock (_lock)
                        {
                            _queue.Enqueue(request);
                            Monitor.Pulse(_lock);
                        }

                        break;
                    case FrameType.Cancel:
                        var taskId = CancelMessage.Read(body).TaskId;
                        lock (_lock)
                        {
                            if (_runningId == taskId)
                            {
                                _runningCts?.Cancel();
                            }
                            else
                            {
                                _cancelledBeforeStart.Add(taskId);
                            }
                        }

                        break;
                    case FrameType.Stop:
                        lock (_lock)
                        {
                            _stopping = true;
                            Monitor.Pulse(_lock);
                        }

                        return;
                    default:
                        throw new InvalidDataException($"Unexpected frame type {type}.");
                }
            }
        }
#pragma warning disable CA1031 // Whatever broke the channel, the parent is unreachable: the worker must go.
        catch (Exception)
#pragma warning restore CA1031
        {
        }

        lock (_lock)
        {
            if (_stopping)
            {
                return;
            }
        }

        DieWithParent();
    }

    private void ExecuteLoop()
    {
        while (true)
        {
            RunRequest request;
            CancellationTokenSource cts;
            lock (_lock)
            {
                while (_queue.Count == 0 && !_stopping)
                {
                    Monitor.Wait(_lock);
                }

                if (_queue.Count == 0)
                {
                    return;
                }

                request = _queue.Dequeue();
                if (_cancelledBeforeStart.Remove(request.TaskId))
                {
                    _sink!.Send(ReplyMessage.Cancelled(request.TaskId, SampleRss(), 0));
                    continue;
                }

                cts = new CancellationTokenSource();
                _runningId = request.TaskId;
                _runningCts = cts;
            }

            Execute(request, cts);
            lock (_lock)
            {
                _runningId = -1;
                _runningCts = null;
            }

            cts.Dispose();
        }
    }

    private void Execute(RunRequest request, CancellationTokenSource cts)
    {
        // The caller's trace goes on inside the worker: the work's own logs and spans see it as Activity.Current.
        // Nobody listens in a worker (its Main never ran), so the span the caller sees is made by the parent.
        using var trace = request.TraceParent is { } parent ? StartTrace(parent) : null;
        var clock = Stopwatch.GetTimestamp();
        try
        {
            var invoker = Invoker(request.FunctionId);
            if (request.IsBatch)
            {
                var (results, error) = invoker.InvokeBatch(request.Payload, _overMemoryLimit, cts.Token);
                var elapsed = Stopwatch.GetElapsedTime(clock).Ticks;
                if (error is null)
                {
                    _sink!.Send(ReplyMessage.Result(request.TaskId, SampleRss(), elapsed, results));
                }
                else
                {
                    ReplyError(request.TaskId, elapsed, results, error, cts);
                }
            }
            else
            {
                var result = invoker.Invoke(request.Payload, cts.Token);
                _sink!.Send(ReplyMessage.Result(request.TaskId, SampleRss(), Stopwatch.GetElapsedTime(clock).Ticks, result));
            }
        }
#pragma warning disable CA1031 // The work's exception goes back to the parent, which hands it to the caller.
        catch (Exception e)
#pragma warning restore CA1031
        {
            ReplyError(request.TaskId, Stopwatch.GetElapsedTime(clock).Ticks, [], e, cts);
        }
    }

    // A method of its own, so that a worker whose tasks carry no trace never loads System.Diagnostics.DiagnosticSource
    // (whose Activity, once created, also loads ICU in an app without invariant globalization).
    [MethodImpl(MethodImplOptions.NoInlining)]
#pragma warning disable CA1859 // Typed as Activity, the caller would load System.Diagnostics.DiagnosticSource to be compiled.
    private static IDisposable StartTrace(string parent) => new Activity("spindle.worker.run").SetParentId(parent).Start();
#pragma warning restore CA1859

    private void ReplyError(long taskId, long elapsed, byte[] partialResults, Exception error, CancellationTokenSource cts)
    {
        if (error is OperationCanceledException && cts.IsCancellationRequested)
        {
            _sink!.Send(ReplyMessage.Cancelled(taskId, SampleRss(), elapsed));
            return;
        }

        if (error is TargetInvocationException { InnerException: { } inner })
        {
            error = inner;
        }

        _sink!.Send(ReplyMessage.Failure(taskId, SampleRss(), elapsed, partialResults, RemoteError.From(error).ToBytes()));
    }

    private FunctionInvoker Invoker(int functionId)
    {
        if (_functions.TryGetValue(functionId, out var invoker))
        {
            return invoker;
        }

        MethodRef definition;
        lock (_lock)
        {
            if (!_definitions.TryGetValue(functionId, out definition))
            {
                throw new InvalidOperationException($"Function {functionId} was run before it was defined.");
            }
        }

        invoker = FunctionInvoker.Resolve(definition);
        _functions[functionId] = invoker;
        return invoker;
    }


    /// <summary>The resident set size, read from /proc at most every 10 ms so that tiny tasks do not pay for it.</summary>
    private long SampleRss()
    {
        var now = Environment.TickCount64;
        if (now - _rssSampledAt >= 10)
        {
            _rssSampledAt = now;
            _rss = ResidentMemory.Of(Environment.ProcessId);
        }

        return _rss;
    }

    /// <summary>
    /// Whether this worker has grown past its memory limit, checked between the items of a batch: a batch of
    /// thousands of leaking items would otherwise pass twice the limit (and be killed) before the check after it.
    /// Read from /proc at most once per clock tick (a few ms), and fresh, so the reply tells the parent to recycle it.
    /// </summary>
    private bool OverMemoryLimit()
    {
        var now = Environment.TickCount64;
        if (now == _rssSampledAt)
        {
            return false;
        }

        _rssSampledAt = now;
        _rss = ResidentMemory.Of(Environment.ProcessId);
        return _rss > _memoryLimit;
    }

    private void WatchParent()
    {
        // The socket's end of stream is the main signal that the parent died; this catches the rare case
        // where something else keeps the socket open.
        while (true)
        {
            Thread.Sleep(250);
            if (_parentPid > 0 && Libc.GetPPid() != _parentPid)
            {
                DieWithParent();
            }
        }
    }

    /// <summary>
    /// The channel could not be set up. If that is because the parent died (a SIGKILLed parent leaves its booting
    /// workers behind), clean up after it as a connected worker would; otherwise report the failure.
    /// </summary>
    private int Abandon(Exception cause)
    {
        // An orphan is handed to a new parent a moment after its old parent's descriptors close: wait that moment out.
        for (var i = 0; i < 100 && _parentPid > 0 && Libc.GetPPid() == _parentPid; i++)
        {
            Thread.Sleep(10);
        }

        if (_parentPid > 0 && Libc.GetPPid() != _parentPid)
        {
            DieWithParent();
        }

        throw new InvalidOperationException($"This Spindle worker could not connect to its parent (pid {_parentPid}) at {_socketPath}.", cause);
    }

    /// <summary>The parent is gone: remove its socket directory (it cannot) and kill this worker's process group.</summary>
    private void DieWithParent()
    {
        try
        {
            var directory = Path.GetDirectoryName(_socketPath);
            if (directory is not null && Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }

        Sharing.SharedRoot.RemoveParentsAfterItsDeath();
        Libc.KillGroup(Environment.ProcessId, Libc.SIGKILL);
        Environment.Exit(70);
    }

    private sealed record RunRequest(long TaskId, int FunctionId, bool IsBatch, string? TraceParent, byte[] Payload);
}
