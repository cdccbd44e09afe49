using Spindle.Internal;
namespace Spindle;

/// <summary>Settings for <c>Map</c> and <c>MapUnordered</c>.</summary>
public sealed record MapOptions
{
    /// <summary>The default: in-flight bound and batching chosen by the executor.</summary>
    public static MapOptions Default { get; } = new();

    /// <summary>
    /// The most items pulled from the source and not yet handed to the consumer; null lets the executor choose
    /// (twice its concurrency). This is what keeps an endless source in constant memory.
    /// </summary>
    public int? MaxInFlight { get; init; }

    /// <summary>
    /// Items per batch sent to a worker process, or run by one CPU lane thread (sync work on threads); null batches
    /// automatically (a few milliseconds of work per batch to a process, about 0.1 ms to a thread).
    /// </summary>
    public int? BatchSize { get; init; }

    /// <summary>Settings applied to each item's task.</summary>
    public TaskOptions Task { get; init; } = TaskOptions.Default;

    internal void Validate(ProblemList problems)
    {
        if (MaxInFlight is <= 0)
        {
            problems.Add($"MaxInFlight must be greater than 0 (was {MaxInFlight}); use null to let the executor choose.");
        }

        if (BatchSize is <= 0)
        {
            problems.Add($"BatchSize must be greater than 0 (was {BatchSize}); use null for automatic batching.");
        }

        if (Task is null)
        {
            problems.Add("Task must not be null; use TaskOptions.Default.");
        }
        else
        {
            Task.Validate(problems);
        }
    }
}
