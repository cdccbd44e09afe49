using Spindle.Internal;
namespace Spindle;

/// <summary>Settings for <see cref="Executor.Processes"/>; validated once, when the executor is created.</summary>
public sealed record ProcessExecutorOptions
{
    /// <summary>The executor's name in metrics, logs and the prefix of worker output.</summary>
    public string Name { get; init; } = "processes";

    /// <summary>How many worker processes run at once; the default is the number of cores.</summary>
    public int MaxWorkers { get; init; } = Environment.ProcessorCount;

    /// <summary>Whether workers start with the executor (eager, the default) or when work first arrives (lazy).</summary>
    public WorkerStart Start { get; init; } = WorkerStart.Eager;

    /// <summary>How many tasks a worker runs before it is replaced by a fresh one; null for no limit.</summary>
    public int? MaxTasksPerWorker { get; init; }

    /// <summary>
    /// A worker whose resident memory is above this after a task is replaced; one far above it (twice) is killed
    /// mid-task. Null for no limit.
    /// </summary>
    public long? MemoryLimitBytes { get; init; }

    /// <summary>A static method or static lambda run once in each worker before its first task.</summary>
    public Action? Initializer { get; init; }

    /// <summary>A worker idle this long exits, and is started again when work arrives; null keeps workers.</summary>
    public TimeSpan? IdleTimeout { get; init; }

    /// <summary>How long a running task may take to honour cancellation before its worker is killed.</summary>
    public TimeSpan CancelGracePeriod { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>How long a new worker may take to connect back before it counts as failed to start.</summary>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The largest frame accepted on a worker channel (an argument or result plus a few bytes).</summary>
    public int MaxFrameBytes { get; init; } = 256 * 1024 * 1024;

    /// <summary>Where worker stdout and stderr lines go; null writes them to this process's stdout and stderr, prefixed with the worker's id.</summary>
    public Action<WorkerOutputLine>? Output { get; init; }

    /// <summary>
    /// Called when a worker starts, crashes, is recycled, is killed on a timeout or exits; on the thread where it
    /// happened, so it must be quick and must not throw. Hosting sends these to ILogger.
    /// </summary>
    public Action<WorkerEvent>? Events { get; init; }

    /// <summary>
    /// The nice value (0 to 19) workers run at: above 0 they yield the cores to this process's own threads (a
    /// server's request threads), which threads of one process cannot do without privileges. Linux and macOS.
    /// </summary>
    public int WorkerNice { get; init; }

    /// <summary>
    /// Whether a debugger, dotnet-trace or dotnet-counters may attach to workers. Off by default: the runtime's
    /// diagnostic channels leave files in the temp directory behind every worker that is killed.
    /// </summary>
    public bool WorkerDiagnostics { get; init; }

    /// <summary>The command that starts a worker; null re-executes this app (the normal case).</summary>
    public WorkerCommand? Command { get; init; }

    internal void Validate()
    {
        var problems = new ProblemList();
        if (string.IsNullOrWhiteSpace(Name))
        {
            problems.Add($"Name must not be empty (was '{Name}'); give the executor a name such as \"processes\".");
        }

        if (MaxWorkers <= 0)
        {
            problems.Add($"MaxWorkers must be greater than 0 (was {MaxWorkers}); the default is the number of cores ({Environment.ProcessorCount}).");
        }

        if (MaxTasksPerWorker is <= 0)
        {
            problems.Add($"MaxTasksPerWorker must be greater than 0 (was {MaxTasksPerWorker}); use null for no limit.");
        }

        if (MemoryLimitBytes is <= 0)
        {
            problems.Add($"MemoryLimitBytes must be greater than 0 (was {MemoryLimitBytes}); use null for no limit.");
        }

        if (IdleTimeout is { } idle && idle <= TimeSpan.Zero)
        {
            problems.Add($"IdleTimeout must be greater than zero (was {idle}); use null to keep idle workers.");
        }

        if (CancelGracePeriod < TimeSpan.Zero)
        {
            problems.Add($"CancelGracePeriod must not be negative (was {CancelGracePeriod}).");
        }

        if (StartTimeout <= TimeSpan.Zero)
        {
            problems.Add($"StartTimeout must be greater than zero (was {StartTimeout}).");
        }

        if (MaxFrameBytes < 1024)
        {
            problems.Add($"MaxFrameBytes must be at least 1024 (was {MaxFrameBytes}).");
        }

        if (Initializer is not null && Initializer.Target is { } target && !Processes.FunctionRef.IsStatelessLambdaHost(target))
        {
            problems.Add("Initializer must be a static method or a lambda that captures nothing, because it runs in each worker process.");
        }

        if (WorkerNice is < 0 or > 19)
        {
            problems.Add($"WorkerNice must be between 0 and 19 (was {WorkerNice}); 0 runs workers at this process's priority, 19 at the lowest.");
        }

        if (Command is { FileName: null or "" })
        {
            problems.Add("Command.FileName must name an executable; use null to re-execute this app.");
        }

        problems.ThrowIfAny("ProcessExecutorOptions");
    }
}
