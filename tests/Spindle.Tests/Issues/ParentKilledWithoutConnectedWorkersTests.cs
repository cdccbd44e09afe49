using Spindle.Tests.Processes;
using Spindle.Tests.Reliability;

namespace Spindle.Tests.Issues;

/// <summary>
/// Found by the dying-parent test (Reliability/DyingParentTests): a parent SIGKILLed while no worker was connected
/// (workers still booting, lazily started, or all retired as idle) left its socket directory in the temp folder,
/// since only connected workers cleaned up after a dead parent. A janitor process now removes it.
/// </summary>
[Collection(ReliabilitySuite.Name)]
public sealed class ParentKilledWithoutConnectedWorkersTests
{
    [Fact(Timeout = TestWait.Hard)]
    public async Task ParentKilled_WithLazyWorkersNeverStarted_LeavesNoSocketDirectory()
    {
        using var parent = ProcessProbe.StartDummy("parent", "2", "lazy");
        var directory = await ProcessProbe.ReadLineStartingWith(parent, "dir:");
        await ProcessProbe.ReadLineStartingWith(parent, "ready");
        Assert.True(Directory.Exists(directory));

        parent.Kill();

        await TestWait.UntilAsync(() => !Directory.Exists(directory), "the socket directory is removed", TimeSpan.FromSeconds(3));
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task Shutdown_LetsTheJanitorGo()
    {
        var executor = (Spindle.Processes.ProcessExecutor)Executor.Processes(new ProcessExecutorOptions { MaxWorkers = 1, Start = WorkerStart.Lazy, Output = static _ => { } });
        var directory = executor.Diagnostics.SocketDirectory;
        var janitors = Janitors(directory);
        Assert.Single(janitors);

        await executor.ShutdownAsync();

        Assert.False(Directory.Exists(directory));
        await TestWait.UntilAsync(() => !ProcessProbe.IsAlive(janitors[0]), "the janitor exits");
    }

    private static int[] Janitors(string directory) =>
        [.. Directory.EnumerateDirectories("/proc")
            .Select(static d => (Pid: int.TryParse(Path.GetFileName(d), out var pid) ? pid : 0, Dir: d))
            .Where(p => p.Pid > 0 && ReadCommandLine(p.Dir).Contains(directory, StringComparison.Ordinal))
            .Select(static p => p.Pid)];

    private static string ReadCommandLine(string procDirectory)
    {
        try
        {
            return File.ReadAllText(Path.Combine(procDirectory, "cmdline"));
        }
        catch (IOException)
        {
            return "";
        }
    }
}
