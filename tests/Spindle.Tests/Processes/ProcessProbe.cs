using System.Diagnostics;

namespace Spindle.Tests.Processes;

/// <summary>Looks at processes from outside: alive or not, and how to start the dummy app.</summary>
internal static class ProcessProbe
{
    /// <summary>True while the process exists and is not a zombie (a zombie has exited; it only waits to be reaped).</summary>
    public static bool IsAlive(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var state = stat[(stat.LastIndexOf(')') + 2)..][0];
            return state != 'Z' && state != 'X';
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>
    /// The runtime's debugger and diagnostics IPC files of one process, which outlive it if it is killed. They are
    /// named by pid and the process's start time, so files an earlier process with the same pid left are not its own.
    /// </summary>
    public static string[] DiagnosticFiles(ProcessIdentity process) =>
        [
            .. Directory.GetFiles(Path.GetTempPath(), $"clr-debug-pipe-{process.Pid}-{process.StartTime}-*"),
            .. Directory.GetFiles(Path.GetTempPath(), $"dotnet-diagnostic-{process.Pid}-{process.StartTime}-*"),
        ];

    /// <summary>A live process's pid and start time (clock ticks since boot, field 22 of /proc/PID/stat).</summary>
    public static ProcessIdentity Identify(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return new ProcessIdentity(pid, long.Parse(fields[19], System.Globalization.CultureInfo.InvariantCulture));
    }

    public static string DummyPath => Path.Combine(AppContext.BaseDirectory, "Spindle.Tests.Dummy");

    public static Process StartDummy(params string[] args)
    {
        var info = new ProcessStartInfo(DummyPath)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        return Process.Start(info)!;
    }

    /// <summary>Reads the dummy's stdout until a line starts with <paramref name="prefix"/>, and returns the rest of it.</summary>
    public static async Task<string> ReadLineStartingWith(Process process, string prefix)
    {
        while (await process.StandardOutput.ReadLineAsync() is { } line)
        {
            if (line.StartsWith(prefix, StringComparison.Ordinal))
            {
                return line[prefix.Length..].Trim();
            }
        }

        throw new InvalidOperationException($"The dummy exited before printing '{prefix}'; stderr: {await process.StandardError.ReadToEndAsync()}");
    }
}
