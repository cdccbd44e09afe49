using System.Diagnostics;
using Microsoft.Extensions.Hosting;

namespace Spindle.Orleans;

/// <summary>
/// The command that starts workers on a machine: <c>await SpindleSilo.RunAsync(args)</c> in the app's own Main (the
/// same app on every machine, since work crosses by reference) runs one silo, or <c>--count N</c> silos as N processes.
/// </summary>
public static class SpindleSilo
{
    /// <summary>
    /// Runs silos from command-line flags (see <see cref="SpindleClusterOptions.Parse"/>) until Ctrl+C or SIGTERM;
    /// returns the process exit code: 0, or 2 for bad flags (printed to stderr).
    /// </summary>
    public static async Task<int> RunAsync(string[] args, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(args);
        SpindleClusterOptions options;
        try
        {
            options = SpindleClusterOptions.Parse(args);
        }
        catch (SpindleOptionsException e)
        {
            await Console.Error.WriteLineAsync(e.Message).ConfigureAwait(false);
            return 2;
        }

        // Silos 2..N are this command again, one process each (a SIGKILL then costs one silo, as on separate machines),
        // pointed at this one as the primary, and watching this process so that none outlives it.
        var children = new List<Process>();
        try
        {
            for (var i = 1; i < options.Count; i++)
            {
                children.Add(StartChild(args, options, i));
            }

            var builder = Host.CreateApplicationBuilder();
            builder.UseSpindleSilo(options with { Count = 1 });
            using var host = builder.Build();
            await host.RunAsync(cancellationToken).ConfigureAwait(false);
            return 0;
        }
        finally
        {
            foreach (var child in children)
            {
                if (!child.HasExited)
                {
                    child.Kill(entireProcessTree: true);
                }

                child.Dispose();
            }
        }
    }

    private static Process StartChild(string[] args, SpindleClusterOptions options, int index)
    {
        // This process's command line, as the kernel has it, minus this command's own flags: the app the same way it
        // was started (an apphost, or dotnet with the app's dll), so the child is this same app.
        var commandLine = File.ReadAllText("/proc/self/cmdline").TrimEnd('\0').Split('\0');
        var prefix = commandLine[..^args.Length];
        var start = new ProcessStartInfo(prefix[0]) { UseShellExecute = false };
        foreach (var part in prefix.Skip(1))
        {
            start.ArgumentList.Add(part);
        }

        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] is "--count" or "--port" or "--gateway" or "--primary" or "--parent-pid")
            {
                i++;
                continue;
            }

            start.ArgumentList.Add(args[i]);
        }

        foreach (var (flag, value) in new[]
        {
            ("--port", (options.SiloPort + index).ToString(System.Globalization.CultureInfo.InvariantCulture)),
            ("--gateway", (options.GatewayPort + index).ToString(System.Globalization.CultureInfo.InvariantCulture)),
            ("--primary", options.Primary?.ToString() ?? $"127.0.0.1:{options.SiloPort}"),
            ("--parent-pid", Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        })
        {
            start.ArgumentList.Add(flag);
            start.ArgumentList.Add(value);
        }

        return Process.Start(start) ?? throw new InvalidOperationException($"Could not start silo {index + 1} ({start.FileName}).");
    }
}
