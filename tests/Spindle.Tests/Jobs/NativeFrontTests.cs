using System.Diagnostics;

namespace Spindle.Tests.Jobs;

/// <summary>
/// The published <c>spindle</c> executable (src/Spindle.Cli.Native): it runs <c>spindle run</c> itself and hands every
/// other command to the full CLI beside it. Run here from its managed build, which takes the same paths as the
/// natively compiled one (the benchmark script and CI publish and run that).
/// </summary>
public sealed class NativeFrontTests
{
    [Fact(Timeout = TestWait.Hard)]
    public async Task Run_RunsTheJobsItself_WithGnuParallelsOutputAndStatus()
    {
        var (status, stdout, _) = await StartAsync(FrontFolder(), "run", "-k", "sh -c 'echo {}; exit {}'", ":::", "0", "3");
        Assert.Equal("0\n3\n", stdout);
        Assert.Equal(1, status);
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task OtherCommands_AreHandedToTheFullCliBesideIt()
    {
        // The published layout: the front and the full CLI in one folder.
        var folder = Path.Combine(Path.GetTempPath(), "spindle-front-" + Guid.NewGuid().ToString("N"));
        try
        {
            CopyFolder(FrontFolder(), folder);
            CopyFolder(AppContext.BaseDirectory, folder, overwrite: false);
            var (status, stdout, stderr) = await StartAsync(folder, "run", "--help");
            Assert.True(status == 0, stderr);
            Assert.Contains("Run COMMAND once per input", stdout, StringComparison.Ordinal);
            (status, stdout, stderr) = await StartAsync(folder, "bench", "--help");
            Assert.True(status == 0, stderr);
            Assert.Contains("--quick", stdout, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task OtherCommands_WithoutTheFullCli_FailWithOneLineSayingWhatToPublish()
    {
        var (status, _, stderr) = await StartAsync(FrontFolder(), "demo");
        Assert.Equal(255, status);
        Assert.Contains("publish src/Spindle.Cli into the same folder", stderr, StringComparison.Ordinal);
        Assert.Single(stderr.TrimEnd('\n').Split('\n'));
    }

    /// <summary>The front's build output, built before the tests (a non-referencing project reference) in the same configuration.</summary>
    internal static string FrontFolder()
    {
        // tests/Spindle.Tests/bin/<Configuration>/<tfm>/ → src/Spindle.Cli.Native/bin/<Configuration>/<tfm>/
        var tfm = new DirectoryInfo(AppContext.BaseDirectory);
        var configuration = tfm.Parent!;
        var root = configuration.Parent!.Parent!.Parent!.Parent!;
        var folder = Path.Combine(root.FullName, "src", "Spindle.Cli.Native", "bin", configuration.Name, tfm.Name);
        Assert.True(File.Exists(Path.Combine(folder, "Spindle.Cli.Native.dll")), $"The front's build output is missing from '{folder}'.");
        return folder;
    }

    private static void CopyFolder(string from, string to, bool overwrite = true)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from))
        {
            var target = Path.Combine(to, Path.GetFileName(file));
            if (overwrite || !File.Exists(target))
            {
                File.Copy(file, target, overwrite);
            }
        }
    }

    private static async Task<(int Status, string Stdout, string Stderr)> StartAsync(string folder, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        start.ArgumentList.Add(Path.Combine(folder, "Spindle.Cli.Native.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        process.StandardInput.Close();
        try
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync().WaitAsync(TestWait.Generous);
            return (process.ExitCode, await stdout, await stderr);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }
}
