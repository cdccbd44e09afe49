namespace Spindle.Tests.Sharing;

/// <summary>Executors for the sharing tests, with every worker started and ready before the test's own tasks.</summary>
internal static class SharingTestKit
{
    public static Executor Processes(int workers) =>
        Executor.Processes(new ProcessExecutorOptions { MaxWorkers = workers, Output = static _ => { } });

    /// <summary>
    /// Returns once <paramref name="workers"/> tasks submitted together ran on as many different workers: from then on
    /// every worker is ready, so tasks submitted together each go to a worker of their own (a task that waits for
    /// another cannot then be queued behind it on the same worker).
    /// </summary>
    public static async Task WarmAsync(Executor executor, int workers)
    {
        while (true)
        {
            var pids = await Task.WhenAll(Enumerable.Range(0, workers).Select(i => executor.Submit(SharingWork.Pid, i)));
            if (pids.Distinct().Count() == workers)
            {
                return;
            }
        }
    }

    /// <summary>The state letter of a thread in /proc ('S' sleeping, 'R' running).</summary>
    public static char ThreadState(int pid, long tid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/task/{tid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..][0];
        }
        catch (IOException)
        {
            return '?';
        }
    }
}
