using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Text;

namespace Spindle.Processes;

/// <summary>How a worker is started: this very app, re-executed, with Spindle's startup hook taking over before Main.</summary>
internal static class WorkerLaunch
{
    private static readonly Lazy<(string FileName, string[] Arguments)> s_self = new(ReadOwnCommandLine);

    /// <summary>This app's name (its entry assembly's), which a worker re-executed from it must report back.</summary>
    /// <remarks>Read from the full name: Assembly.GetName builds a CultureInfo, whose first use loads ICU into a worker.</remarks>
    public static string AppName { get; } = Assembly.GetEntryAssembly()?.FullName?.Split(',')[0] ?? "";

    public static ProcessStartInfo StartInfo(ProcessExecutorOptions options, int workerId, string socketPath)
    {
        var (fileName, arguments) = options.Command is { } command
            ? (command.FileName, command.Arguments.ToArray())
            : s_self.Value;
        if (options.WorkerNice > 0)
        {
            // Through nice(1), so that the worker is at its priority from its first instruction: on Linux a nice
            // value belongs to each thread, and one set later would miss the threads the runtime has started by then.
            (fileName, arguments) = (File.Exists("/usr/bin/nice") ? "/usr/bin/nice" : "nice", ["-n", options.WorkerNice.ToString(CultureInfo.InvariantCulture), fileName, .. arguments]);
        }

        var info = new ProcessStartInfo(fileName)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        var hooks = Environment.GetEnvironmentVariable(WorkerEnvironment.StartupHooks);
        var spindle = typeof(WorkerLaunch).Assembly.Location;
        info.Environment[WorkerEnvironment.StartupHooks] = string.IsNullOrEmpty(hooks) ? spindle : spindle + Path.PathSeparator + hooks;
        info.Environment[WorkerEnvironment.HooksBefore] = hooks ?? "";
        info.Environment[WorkerEnvironment.Socket] = socketPath;
        info.Environment[WorkerEnvironment.WorkerId] = workerId.ToString(CultureInfo.InvariantCulture);
        info.Environment[WorkerEnvironment.ParentPid] = Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
        info.Environment[WorkerEnvironment.MaxFrameBytes] = options.MaxFrameBytes.ToString(CultureInfo.InvariantCulture);
        info.Environment[Sharing.SharedRoot.Variable] = Sharing.SharedRoot.PathForWorkers();
        if (options.MemoryLimitBytes is { } limit)
        {
            // The worker checks its own size between the items of a batch, so that it can stop a batch short.
            info.Environment[WorkerEnvironment.MemoryLimit] = limit.ToString(CultureInfo.InvariantCulture);
        }

        // Workers are small and many: the workstation GC keeps an idle worker's memory low.
        info.Environment["DOTNET_gcServer"] = "0";

        // A worker exists to run hot loops, soon: its methods go straight from quick JIT to optimized code (no
        // instrumented tier in between), and are counted for that from the start instead of after the 100 ms of quiet
        // the runtime waits for by default, which a worker's first Map spent in unoptimized code (a 1,000,000-item Map
        // on fresh workers: 8.2 → 9.2 M items/s in benchmarks/run-processes.sh; an idle worker holds 0.8 MB more code).
        info.Environment["DOTNET_TieredPGO"] = "0";
        info.Environment["DOTNET_TC_CallCountingDelayMs"] = "0";

        // The runtime's debugger and diagnostics channels are files in the temp directory (clr-debug-pipe-*,
        // dotnet-diagnostic-*) that a killed worker leaves behind; a worker has them only when asked for.
        if (!options.WorkerDiagnostics)
        {
            info.Environment["DOTNET_EnableDiagnostics"] = "0";
        }

        foreach (var (name, value) in options.Command?.Environment ?? new Dictionary<string, string>())
        {
            info.Environment[name] = value;
        }

        return info;
    }

    /// <summary>
    /// This process's own command line, so that a worker is the same app started the same way: an apphost, a
    /// published app, or 'dotnet exec … app.dll' (test hosts included). Linux keeps it in /proc/self/cmdline.
    /// </summary>
    private static (string FileName, string[] Arguments) ReadOwnCommandLine()
    {
        var processPath = Environment.ProcessPath ?? throw new WorkerStartException("This process's executable path is unknown, so it cannot be re-executed as a worker; set ProcessExecutorOptions.Command.");
        if (File.Exists("/proc/self/cmdline"))
        {
            var parts = File.ReadAllText("/proc/self/cmdline").Split('\0', StringSplitOptions.None);
            var count = parts.Length > 0 && parts[^1].Length == 0 ? parts.Length - 1 : parts.Length;
            return (processPath, WithAbsoluteAppPath(parts[1..count]));
        }

        var args = Environment.GetCommandLineArgs();
        var isDotnetHost = Path.GetFileNameWithoutExtension(processPath).Equals("dotnet", StringComparison.OrdinalIgnoreCase);
        return (processPath, WithAbsoluteAppPath(isDotnetHost ? args : args[1..]));
    }

    /// <summary>
    /// Replaces a relative path to the app's own assembly ('dotnet out/App.dll') by its absolute path, so that a
    /// worker starts the app even after the app has changed its working directory.
    /// </summary>
    private static string[] WithAbsoluteAppPath(string[] arguments)
    {
        var location = Assembly.GetEntryAssembly()?.Location;
        if (string.IsNullOrEmpty(location))
        {
            return arguments;
        }

        var name = Path.GetFileName(location);
        var index = Array.FindIndex(arguments, a => !Path.IsPathRooted(a) && Path.GetFileName(a) == name);
        if (index >= 0)
        {
            arguments[index] = location;
        }

        return arguments;
    }
}
