using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using Spindle.Internal;

namespace Spindle.Processes;

/// <summary>The worker's end of its channel, opened with libc calls (System.Net.Sockets cost a fresh worker about 10 ms of CPU).</summary>
internal static class WorkerSocket
{
    /// <summary>
    /// Connects a Unix stream socket to <paramref name="path"/> (Linux) and returns two descriptors of it, one to read
    /// and one to write, so that a reader thread and a writer thread each own a plain stream; throws IOException.
    /// </summary>
    public static (SafeFileHandle Read, SafeFileHandle Write) Connect(string path)
    {
        var encoded = System.Text.Encoding.UTF8.GetBytes(path);
        if (encoded.Length > 107)
        {
            throw new IOException($"The socket path '{path}' is longer than a Unix socket address holds (107 bytes).");
        }

        // struct sockaddr_un on Linux: a 16-bit family, then the path, NUL-terminated.
        var address = new byte[2 + encoded.Length + 1];
        BitConverter.TryWriteBytes(address.AsSpan(0, 2), (ushort)Libc.AF_UNIX);
        encoded.CopyTo(address, 2);
        var fd = Libc.Socket(Libc.AF_UNIX, Libc.SOCK_STREAM | Libc.SOCK_CLOEXEC, 0);
        if (fd < 0)
        {
            throw new IOException($"A Unix socket could not be created (errno {Marshal.GetLastPInvokeError()}).");
        }

        if (Libc.Connect(fd, address, address.Length) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            _ = Libc.Close(fd);
            throw new IOException($"The Unix socket at '{path}' refused the connection (errno {errno}).");
        }

        var second = Libc.Fcntl(fd, Libc.F_DUPFD_CLOEXEC, 0);
        if (second < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            _ = Libc.Close(fd);
            throw new IOException($"A Unix socket's descriptor could not be duplicated (errno {errno}).");
        }

        return (new SafeFileHandle(fd, ownsHandle: true), new SafeFileHandle(second, ownsHandle: true));
    }
}
