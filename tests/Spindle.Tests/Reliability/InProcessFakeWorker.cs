using System.Globalization;
using System.Net.Sockets;
using Spindle.Internal;
using Spindle.Processes;
using Spindle.Processes.Protocol;

namespace Spindle.Tests.Reliability;

/// <summary>
/// An executor whose "workers" are this test process. The executor starts a tiny shell script per worker, which
/// hands its token, pid and worker id to the test through a file and then sleeps; the test connects in the
/// worker's name and speaks the protocol however it likes. Fuzzing the parent in-process this way costs a shell
/// per case instead of a .NET process, and lets the test count the parent's allocations.
/// </summary>
internal sealed class InProcessFakeWorker : IAsyncDisposable
{
    private const string Script =
        "IFS= read -r t; printf '%s %s %s\\n' \"$t\" \"$$\" \"$SPINDLE_WORKER_ID\" > \"$FAKE_DIR/$SPINDLE_WORKER_ID.tmp\" && " +
        "mv \"$FAKE_DIR/$SPINDLE_WORKER_ID.tmp\" \"$FAKE_DIR/$SPINDLE_WORKER_ID\"; exec sleep 600";

    private readonly string _directory;
    private int _lastWorkerId;

    private InProcessFakeWorker(string directory, ProcessExecutor executor)
    {
        _directory = directory;
        Executor = executor;
    }

    public ProcessExecutor Executor { get; }

    /// <summary>The token of the last worker connected, for tests that replay it.</summary>
    public byte[] LastToken { get; private set; } = [];

    public static InProcessFakeWorker Create(int maxFrameBytes, int maxWorkers = 1)
    {
        var directory = Path.Combine(Path.GetTempPath(), $"spindle-fake-{Guid.NewGuid():N}");
        Directory.CreateDirectory(directory);
        var executor = (ProcessExecutor)Spindle.Executor.Processes(new ProcessExecutorOptions
        {
            MaxWorkers = maxWorkers,
            Output = static _ => { },
            MaxFrameBytes = maxFrameBytes,
            Command = new WorkerCommand("/bin/sh", ["-c", Script])
            {
                Environment = new Dictionary<string, string> { ["FAKE_DIR"] = directory },
            },
        });
        return new InProcessFakeWorker(directory, executor);
    }

    /// <summary>Waits for the executor's next worker to be started, and connects in its name.</summary>
    public async Task<FakeConnection> ConnectNextAsync()
    {
        var id = _lastWorkerId + 1;
        var file = Path.Combine(_directory, id.ToString(CultureInfo.InvariantCulture));
        await TestWait.UntilAsync(() => File.Exists(file), $"worker {id} is started");
        var parts = (await File.ReadAllTextAsync(file)).Trim().Split(' ');
        _lastWorkerId = id;
        LastToken = Convert.FromHexString(parts[0]);
        var connection = await FakeConnection.OpenAsync(Executor.Diagnostics.SocketPath, LastToken, id, int.Parse(parts[1], CultureInfo.InvariantCulture));
        return connection;
    }

    public async ValueTask DisposeAsync()
    {
        // The shell "workers" never answer a stop: kill them first, or shutdown would wait 5 s for each to exit.
        // Only processes whose environment names this harness's directory: a pid may have been reused since.
        foreach (var file in Directory.GetFiles(_directory).Where(static f => !f.EndsWith(".tmp", StringComparison.Ordinal)))
        {
            var pid = int.Parse(File.ReadAllText(file).Trim().Split(' ')[1], CultureInfo.InvariantCulture);
            try
            {
                if (File.ReadAllText($"/proc/{pid}/environ").Contains($"FAKE_DIR={_directory}", StringComparison.Ordinal))
                {
                    Libc.Signal(pid, Libc.SIGKILL);
                }
            }
            catch (IOException)
            {
            }
        }

        await Executor.DisposeAsync();

        // A replacement "worker" started just before shutdown may still be writing its file when its kill lands, so a
        // file can appear while the directory is being removed: try again until it is gone (a cleanup, not a check).
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                Directory.Delete(_directory, recursive: true);
                return;
            }
            catch (IOException) when (attempt < 50)
            {
                await Task.Delay(20);
            }
        }
    }
}

/// <summary>A Run frame as a fake worker received it.</summary>
internal sealed record RunFrame(long TaskId, int FunctionId, bool IsBatch, byte[] Payload);

/// <summary>One connection to the parent, speaking as a worker: reads what the parent sends, writes whatever bytes the test wants.</summary>
internal sealed class FakeConnection : IDisposable
{
    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly FrameReader _reader;
    private bool _disposed;

    private FakeConnection(Socket socket)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: false);
        _reader = new FrameReader(_stream, 64 * 1024 * 1024);
    }

    public static async Task<FakeConnection> OpenAsync(string socketPath, byte[] token, int workerId, int pid)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath));
        var connection = new FakeConnection(socket);
        connection.Send(Frames.Hello(token, workerId, pid));
        var (type, _) = await connection.ReadFrameAsync() ?? throw new InvalidOperationException("The parent closed the channel instead of welcoming the worker.");
        Assert.Equal(FrameType.Welcome, type);
        return connection;
    }

    /// <summary>Reads frames until <paramref name="count"/> Run frames have come (Define frames are skipped).</summary>
    public async Task<List<RunFrame>> ReadRunsAsync(int count)
    {
        var runs = new List<RunFrame>();
        while (runs.Count < count)
        {
            var (type, body) = await ReadFrameAsync() ?? throw new InvalidOperationException($"The channel ended after {runs.Count} of {count} Run frames.");
            if (type == FrameType.Run)
            {
                var run = RunMessage.Read(body);
                runs.Add(new RunFrame(run.TaskId, run.FunctionId, run.IsBatch, run.Payload.ToArray()));
            }
        }

        return runs;
    }

    /// <summary>The next frame, or null at the end of the channel.</summary>
    public async Task<(FrameType Type, byte[] Body)?> ReadFrameAsync() =>
        await Task.Run<(FrameType, byte[])?>(() => _reader.TryRead(out var type, out var body) ? (type, body.ToArray()) : null).WaitAsync(TestWait.Generous);

    public void Send(ReadOnlySpan<byte> bytes)
    {
        try
        {
            _stream.Write(bytes);
        }
        catch (IOException)
        {
            // The parent may already have cut the channel after an earlier bad frame; that is its right.
        }
    }

    /// <summary>Answers every Run frame that arrives correctly (the square of its int argument) until the parent stops sending.</summary>
    public async Task ServeSquaresAsync(Func<bool> done)
    {
        while (!done())
        {
            var next = ReadFrameAsync();
            while (!next.IsCompleted && !done())
            {
                await Task.WhenAny(next, Task.Delay(20));
            }

            if (!next.IsCompleted)
            {
                return;
            }

            if (await next is not { } frame)
            {
                return;
            }

            if (frame.Type == FrameType.Run)
            {
                var run = RunMessage.Read(frame.Body);
                var x = PayloadSerializer.Deserialize<int>(run.Payload);
                Send(Frames.Result(run.TaskId, PayloadSerializer.Serialize(x * x)));
            }
        }
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (SocketException)
        {
        }

        _stream.Dispose();
        _socket.Dispose();
    }
}

/// <summary>Builds worker-to-parent frames, well formed or not.</summary>
internal static class Frames
{
    private const long Rss = 64L * 1024 * 1024;

    public static byte[] Hello(byte[] token, int workerId, int pid) => new HelloMessage(token, workerId, pid, null).ToFrame();

    public static byte[] Result(long taskId, byte[] payload, long elapsedTicks = 1000) => ReplyMessage.Result(taskId, Rss, elapsedTicks, payload).ToFrame();

    /// <summary>An error reply whose partial-results length is whatever the test says, matching its bytes or not.</summary>
    public static byte[] Error(long taskId, int partialLength, ReadOnlySpan<byte> rest)
    {
        var buffer = new FrameBuffer(64 + rest.Length);
        buffer.BeginFrame(FrameType.Error);
        Header(buffer, taskId);
        buffer.WriteInt32(partialLength);
        buffer.WriteBytes(rest);
        buffer.EndFrame();
        return buffer.Written.ToArray();
    }

    public static byte[] Error(long taskId, string type, string message) =>
        ReplyMessage.Failure(taskId, Rss, 1000, default, new RemoteError(type, message, null, []).ToBytes()).ToFrame();

    public static byte[] Cancelled(long taskId) => ReplyMessage.Cancelled(taskId, Rss, 1000).ToFrame();

    /// <summary>A frame shaped like a reply (task id, rss, elapsed) but of another type.</summary>
    public static byte[] OfType(byte type, long taskId) => Build((FrameType)type, b => Header(b, taskId));

    /// <summary>A header announcing <paramref name="length"/> body bytes, followed by a few.</summary>
    public static byte[] Announcing(int length, byte type) => [(byte)length, (byte)(length >> 8), (byte)(length >> 16), (byte)(length >> 24), type, 1, 2, 3];

    private static void Header(FrameBuffer buffer, long taskId)
    {
        buffer.WriteInt64(taskId);
        buffer.WriteInt64(Rss);
        buffer.WriteInt64(1000);
    }

    private static byte[] Build(FrameType type, Action<FrameBuffer> fields)
    {
        var buffer = new FrameBuffer(256);
        buffer.BeginFrame(type);
        fields(buffer);
        buffer.EndFrame();
        return buffer.Written.ToArray();
    }
}
