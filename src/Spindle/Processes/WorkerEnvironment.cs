namespace Spindle.Processes;

/// <summary>The environment variables through which a parent tells a re-executed app that it is a worker.</summary>
internal static class WorkerEnvironment
{
    public const string Socket = "SPINDLE_WORKER_SOCKET";
    public const string WorkerId = "SPINDLE_WORKER_ID";
    public const string ParentPid = "SPINDLE_PARENT_PID";
    public const string MaxFrameBytes = "SPINDLE_MAX_FRAME_BYTES";
    public const string MemoryLimit = "SPINDLE_MEMORY_LIMIT";
    public const string HooksBefore = "SPINDLE_STARTUP_HOOKS_BEFORE";
    public const string StartupHooks = "DOTNET_STARTUP_HOOKS";

    public static bool IsWorker => Environment.GetEnvironmentVariable(Socket) is { Length: > 0 };

    /// <summary>Removes the worker variables so that processes started by tasks are ordinary processes, not workers.</summary>
    public static void Scrub()
    {
        var before = Environment.GetEnvironmentVariable(HooksBefore);
        Environment.SetEnvironmentVariable(StartupHooks, string.IsNullOrEmpty(before) ? null : before);
        foreach (var name in new[] { Socket, WorkerId, ParentPid, MaxFrameBytes, MemoryLimit, HooksBefore })
        {
            Environment.SetEnvironmentVariable(name, null);
        }
    }
}
