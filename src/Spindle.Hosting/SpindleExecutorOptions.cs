namespace Spindle.Hosting;

/// <summary>
/// Settings of one hosted executor, set in code and bound from configuration: the "Spindle" section for the default
/// executor, "Spindle:Executors:{name}" for a named one. Validated when the host starts, every problem in one error.
/// </summary>
public sealed class SpindleExecutorOptions
{
    /// <summary>The configuration section of the default executor; named ones are in its "Executors" subsection.</summary>
    public const string SectionName = "Spindle";

    /// <summary>Threads (the default) or Processes.</summary>
    public Technique Technique { get; set; } = Technique.Threads;

    /// <summary>CPU-lane threads, or worker processes; null for the number of cores.</summary>
    public int? Workers { get; set; }

    /// <summary>How many async tasks the I/O lane of a thread executor runs at once; null for Spindle's default (256).</summary>
    public int? IoConcurrency { get; set; }

    /// <summary>Whether worker processes start with the host (the default) or when work first arrives.</summary>
    public WorkerStart Start { get; set; } = WorkerStart.Eager;

    /// <summary>How many tasks a worker process runs before it is replaced; null for no limit.</summary>
    public int? MaxTasksPerWorker { get; set; }

    /// <summary>A worker process above this many megabytes after a task is replaced, one twice above it is killed; null for no limit.</summary>
    public int? MemoryLimitMegabytes { get; set; }

    /// <summary>A worker process idle this long exits until work arrives; null keeps workers.</summary>
    public TimeSpan? IdleTimeout { get; set; }

    /// <summary>How long a new worker process may take to connect; null for Spindle's default (30 s).</summary>
    public TimeSpan? StartTimeout { get; set; }

    /// <summary>How long a cancelled task may take to stop before its worker process is killed; null for Spindle's default (2 s).</summary>
    public TimeSpan? CancelGracePeriod { get; set; }

    /// <summary>The nice value (0 to 19) of worker processes: above 0, the host's request threads win the cores.</summary>
    public int WorkerNice { get; set; }

    /// <summary>Whether worker processes' stdout and stderr lines go to ILogger (the default) rather than nowhere.</summary>
    public bool LogWorkerOutput { get; set; } = true;

    /// <summary>
    /// Changes the process executor's options just before it is created, for what configuration cannot carry (an
    /// Initializer, a Command); code only.
    /// </summary>
    public Func<ProcessExecutorOptions, ProcessExecutorOptions>? ConfigureProcesses { get; set; }

    /// <summary>The configuration path of the executor called <paramref name="name"/> (empty for the default one).</summary>
    internal static string PathOf(string name) => name.Length == 0 ? SectionName : $"{SectionName}:Executors:{name}";
}
