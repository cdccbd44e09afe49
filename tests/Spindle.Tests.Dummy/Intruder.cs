using System.Globalization;
using System.Net.Sockets;
using Spindle.Processes.Protocol;

namespace Spindle.Tests.Dummy;

/// <summary>
/// A process of the same user that connects to a parent's socket and says hello as a given worker, with a token of
/// zeros; it prints "intruder: refused" when the parent hangs up, "intruder: welcomed" if it were let in.
/// </summary>
internal static class Intruder
{
    public static int Run(string socketPath, int workerId, int pid)
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Connect(new UnixDomainSocketEndPoint(socketPath));
        socket.Send(new HelloMessage(new byte[HelloMessage.TokenLength], workerId, pid, null).ToFrame());
        var read = socket.Receive(new byte[64]);
        Console.WriteLine(read == 0 ? "intruder: refused" : "intruder: welcomed");
        return read == 0 ? 0 : 1;
    }

    public static int Run(string[] args) =>
        Run(args[0], int.Parse(args[1], CultureInfo.InvariantCulture), int.Parse(args[2], CultureInfo.InvariantCulture));
}
