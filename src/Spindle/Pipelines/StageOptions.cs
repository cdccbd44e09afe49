using Spindle.Internal;
namespace Spindle.Pipelines;

/// <summary>
/// How one pipeline stage runs its work: where (<see cref="On"/> and <see cref="Kind"/>), how many items at once,
/// whether it keeps input order, how large its input buffer is, and what it does with failures.
/// </summary>
/// <remarks>
/// A stage submits each item to an <see cref="Executor"/>, so any technique works without pipeline code of its own:
/// on <c>Executor.Threads()</c> async work runs on the I/O lane and synchronous work on the CPU lane (or as
/// <see cref="Kind"/> says); <c>Executor.Processes()</c> and <c>Executor.Auto()</c> are passed as <see cref="On"/>.
/// On a thread executor, items are handed over in small batches (about 200 µs of work, taken only from what is already
/// buffered), and a batch's task passes its results on and takes the next batch itself while input is buffered, for a
/// millisecond or more; so the executor's task counts may be far lower than the stage's item counts. Each item still
/// gets its own error policy, and at most <see cref="Parallelism"/> items run at once.
/// </remarks>
public sealed record StageOptions
{
    /// <summary>The default: the pipeline's executor, the lane chosen by the work's shape, one item per core, input order kept, fail fast.</summary>
    public static StageOptions Default { get; } = new();

    /// <summary>The executor this stage submits its items to; null uses <see cref="PipelineOptions.Executor"/>.</summary>
    public Executor? On { get; init; }

    /// <summary>The kind of work, which picks the lane (I/O or CPU) or a worker process; null lets the executor decide from the work.</summary>
    public WorkKind? Kind { get; init; }

    /// <summary>How many items the stage runs at once; null means one per core, or on worker processes two per worker.</summary>
    public int? Parallelism { get; init; }

    /// <summary>Whether results leave the stage in input order (true) or as they complete (false).</summary>
    public bool KeepOrder { get; init; } = true;

    /// <summary>How many items may wait in front of this stage; null uses <see cref="PipelineOptions.BufferCapacity"/>.</summary>
    public int? BufferCapacity { get; init; }

    /// <summary>What the stage does with an item whose work failed.</summary>
    public StageErrorPolicy Errors { get; init; } = StageErrorPolicy.FailFast;

    /// <summary>How long one attempt at one item may run (see <see cref="TaskOptions.Timeout"/>); null means no limit.</summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>Runs the stage on the I/O lane: for work that mostly waits.</summary>
    public StageOptions OnIo() => this with { Kind = WorkKind.IoBound };

    /// <summary>Runs the stage on the CPU lane: for work that mostly computes.</summary>
    public StageOptions OnCpu() => this with { Kind = WorkKind.CpuBound };

    /// <summary>The parallelism on <paramref name="executor"/>.</summary>
    /// <remarks>
    /// On worker processes every item crosses the process boundary and back: with one item per worker, each worker
    /// idles while its result travels back and the next item travels out. A second item per worker waits in its
    /// queue meanwhile (a one-off check on 2 workers: 1.74x over serial with one per worker, 1.90x with two;
    /// docs/benchmarks.md, section Pipelines, has the current figure).
    /// </remarks>
    internal int ParallelismOn(Executor executor) =>
        Parallelism ?? (executor is Processes.ProcessExecutor processes ? 2 * processes.MaxWorkers : Environment.ProcessorCount);

    internal void Validate(ProblemList problems, Executor? pipelineExecutor)
    {
        if (Parallelism is <= 0)
        {
            problems.Add($"Parallelism must be greater than 0 (was {Parallelism}); use null for one item per core.");
        }

        if (BufferCapacity is <= 0)
        {
            problems.Add($"BufferCapacity must be greater than 0 (was {BufferCapacity}); use null for the pipeline's default.");
        }

        if (Timeout is { } t && t <= TimeSpan.Zero && t != System.Threading.Timeout.InfiniteTimeSpan)
        {
            problems.Add($"Timeout must be greater than zero (was {t}); use null for no timeout.");
        }

        if (Errors is null)
        {
            problems.Add("Errors must not be null; use StageErrorPolicy.FailFast, StageErrorPolicy.Skip or StageErrorPolicy.Retry(n).");
        }
        else
        {
            Errors.Validate(problems);
        }

        var executor = On ?? pipelineExecutor;
        if (Kind == WorkKind.Isolated && (executor is null || executor.Technique == Technique.Threads))
        {
            problems.Add($"Kind Isolated needs a worker process but the stage would run on {(executor is null ? "the pipeline's own thread executor" : $"the thread executor '{executor.Name}'")}; set On to Executor.Processes() or Executor.Auto().");
        }

        if (On is { IsShutdown: true })
        {
            problems.Add($"On is the executor '{On.Name}', which has been shut down; pass a live executor.");
        }
    }
}
