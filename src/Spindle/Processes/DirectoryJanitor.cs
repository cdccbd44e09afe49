using System.ComponentModel;
using System.Diagnostics;

namespace Spindle.Processes;

/// <summary>
/// A tiny process that removes the socket directory once its executor's process is gone, even SIGKILLed: the twin
/// of CPython's resource_tracker. Connected workers clean up after a dead parent themselves, but a parent can die
/// while none is connected (still booting, lazily started, or all retired as idle), and nothing else would.
/// </summary>
/// <remarks>
/// It waits for end of stream on its stdin, whose only writer is this process: the kernel closes it when this
/// process ends, however it ends. The pipe is close-on-exec here, so workers started later do not hold it open.
/// It ignores SIGINT and SIGHUP, which a terminal sends to the whole foreground group, so that a parent which
/// survives Ctrl-C keeps its janitor.
/// </remarks>
internal sealed class DirectoryJanitor : IDisposable
{
    private const string Script = "exec >/dev/null 2>&1; trap '' INT HUP; while read -r _; do :; done; rm -rf \"$1\"";

    private readonly Process _process;
    private int _disposed;

    private DirectoryJanitor(Process process) => _process = process;

    /// <summary>Starts a janitor for a directory that does not exist yet; null where no shell can be started.</summary>
    public static DirectoryJanitor? Start(string directory)
    {
        var info = new ProcessStartInfo("/bin/sh") { UseShellExecute = false, RedirectStandardInput = true };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add(Script);
        info.ArgumentList.Add("spindle-janitor");
        info.ArgumentList.Add(directory);
        try
        {
            return Process.Start(info) is { } process ? new DirectoryJanitor(process) : null;
        }
        catch (Win32Exception)
        {
            // Without it, only a parent killed while no worker is connected leaves its directory behind.
            return null;
        }
    }

    /// <summary>Lets the janitor go: it removes the directory (if the executor has not already) and exits.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        try
        {
            _process.StandardInput.Close();
        }
        catch (IOException)
        {
        }

        _process.Dispose();
    }
}
