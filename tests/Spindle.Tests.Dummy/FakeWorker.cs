using System.Net.Sockets;
using Spindle.Processes;
using Spindle.Processes.Protocol;

namespace Spindle.Tests.Dummy;

/// <summary>
/// A worker that connects with the right token and then misbehaves on purpose: it answers a task with a
/// frame that is garbage, truncated, oversized, or for another task. The parent must fail that worker's task
/// and nothing else.
/// </summary>
internal static class FakeWorker
{
    public static int Run(string mode)
    {
        var socketPath = Environment.GetEnvironmentVariable(WorkerEnvironment.Socket)!;
        var workerId = int.Parse(Environment.GetEnvironmentVariable(WorkerEnvironment.WorkerId)!, System.Globalization.CultureInfo.InvariantCulture);
        var token = Convert.FromHexString(Console.ReadLine()!);
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Connect(new UnixDomainSocketEndPoint(socketPath));
        using var stream = new NetworkStream(socket);

        stream.Write(new HelloMessage(token, workerId, Environment.ProcessId, null).ToFrame());

        var reader = new FrameReader(stream, 64 * 1024 * 1024);
        long taskId = 0;
        while (reader.TryRead(out var type, out var body))
        {
            if (type == FrameType.Run)
            {
                taskId = RunMessage.Read(body).TaskId;
                break;
            }
        }

        var bad = new FrameBuffer();
        switch (mode)
        {
            case "garbage":
                bad.WriteBytes([7, 0, 0, 0, 99, 1, 2, 3, 4, 5, 6]);
                break;
            case "truncated":
                bad.BeginFrame(FrameType.Result);
                bad.WriteInt32(1);
                bad.EndFrame();
                break;
            case "oversized":
                bad.WriteBytes([0xff, 0xff, 0xff, 0x7f, (byte)FrameType.Result]);
                break;
            case "wrong-task":
                ReplyMessage.Result(taskId + 1000, 0, 0, default).WriteTo(bad);
                break;
        }

        stream.Write(bad.Written);
        Console.ReadLine();
        return 0;
    }
}
