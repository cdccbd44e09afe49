using System.Diagnostics;

namespace Spindle.Tests.Jobs;

/// <summary>The <c>spindle</c> tool (the native front's managed build) started as a script starts it: its own process, stdin not a terminal.</summary>
internal static class ToolProcess
{
    /// <summary>Starts the tool; with <paramref name="redirect"/> false its output goes where the test host's goes (a background job may keep it open).</summary>
    public static Process Start(string[] args, bool redirect, string? workingDirectory = null, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = redirect, RedirectStandardError = redirect, RedirectStandardInput = true };
        start.ArgumentList.Add(Path.Combine(NativeFrontTests.FrontFolder(), "Spindle.Cli.Native.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        if (workingDirectory is not null)
        {
            start.WorkingDirectory = workingDirectory;
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        var process = Process.Start(start)!;
        process.StandardInput.Close();
        return process;
    }

    /// <summary>Runs the tool to its end (killing it after <paramref name="within"/>, by default <see cref="TestWait.Generous"/>); returns its status and output.</summary>
    public static async Task<(int Status, string Stdout, string Stderr)> RunAsync(string[] args, string? workingDirectory = null, IReadOnlyDictionary<string, string>? environment = null, TimeSpan? within = null)
    {
        using var process = Start(args, redirect: true, workingDirectory, environment);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            await process.WaitForExitAsync().WaitAsync(within ?? TestWait.Generous);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }

        return (process.ExitCode, await stdout, await stderr);
    }
}
