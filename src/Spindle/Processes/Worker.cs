using Spindle.Processes;

namespace Spindle;

/// <summary>
/// The worker entry point: the .NET twin of Python's <c>if __name__ == "__main__"</c>. Spindle re-executes the
/// app as its workers and normally takes over through a startup hook before <c>Main</c> runs; where startup
/// hooks are disabled (trimmed or Native AOT apps), add <c>Spindle.Worker.RunIfWorker();</c> as the first line of Main.
/// </summary>
public static class Worker
{
    /// <summary>Whether this process was started as a Spindle worker.</summary>
    public static bool IsWorker => WorkerEnvironment.IsWorker;

    /// <summary>If this process is a Spindle worker, serves tasks and exits the process; otherwise returns at once.</summary>
    public static void RunIfWorker()
    {
        if (WorkerEnvironment.IsWorker)
        {
            Environment.Exit(WorkerHost.Run());
        }
    }
}
