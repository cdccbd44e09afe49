using Spindle.Internal;
namespace Spindle.Pipelines;

/// <summary>Settings for a whole pipeline; validated once, by <see cref="Pipeline.From{T}(IEnumerable{T}, PipelineOptions?)"/>.</summary>
public sealed record PipelineOptions
{
    /// <summary>The default: named "pipeline", stages on a thread executor of the run's own, buffers of 64 items.</summary>
    public static PipelineOptions Default { get; } = new();

    /// <summary>The pipeline's name in metrics, progress and errors.</summary>
    public string Name { get; init; } = "pipeline";

    /// <summary>
    /// The executor of every stage that does not name its own; null gives each run an <c>Executor.Threads()</c> of its
    /// own, named "pipeline", for as long as it runs. When the run ends idle, that executor is kept, asleep, for the
    /// next run (one at most; any other is shut down), so that back-to-back runs do not each start and stop threads.
    /// </summary>
    public Executor? Executor { get; init; }

    /// <summary>How many items may wait in each buffer between stages (and in front of the consumer), unless a stage sets its own.</summary>
    public int BufferCapacity { get; init; } = 64;

    /// <summary>How often a run raises <see cref="PipelineRun{T}.ProgressChanged"/> while it runs.</summary>
    public TimeSpan ProgressInterval { get; init; } = TimeSpan.FromMilliseconds(500);

    internal void Validate()
    {
        var problems = new ProblemList();
        if (string.IsNullOrWhiteSpace(Name))
        {
            problems.Add($"Name must not be empty (was '{Name}'); give the pipeline a name such as \"logs\".");
        }

        if (BufferCapacity <= 0)
        {
            problems.Add($"BufferCapacity must be greater than 0 (was {BufferCapacity}).");
        }

        if (ProgressInterval <= TimeSpan.Zero)
        {
            problems.Add($"ProgressInterval must be greater than zero (was {ProgressInterval}).");
        }

        if (Executor is { IsShutdown: true })
        {
            problems.Add($"Executor is '{Executor.Name}', which has been shut down; pass a live executor or null for one of the run's own.");
        }

        problems.ThrowIfAny("PipelineOptions");
    }
}
