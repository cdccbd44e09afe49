using Spindle.Internal;
namespace Spindle.Pipelines;

/// <summary>What a stage does with an item whose work failed: fail fast, skip and record it, or retry it first.</summary>
/// <remarks>
/// Retries come first: an item is run again up to <see cref="Retries"/> times; if its last attempt fails too,
/// <see cref="SkipFailed"/> decides between ending the whole pipeline with that error and recording the item
/// (with its exception) in <see cref="PipelineResult.Failures"/> while the rest flows on.
/// </remarks>
public sealed record StageErrorPolicy
{
    /// <summary>The first failed item cancels the whole pipeline and its error is surfaced (the default).</summary>
    public static StageErrorPolicy FailFast { get; } = new();

    /// <summary>Failed items are dropped and recorded with their exception; the pipeline goes on.</summary>
    public static StageErrorPolicy Skip { get; } = new() { SkipFailed = true };

    /// <summary>How many times a failed item is run again before the policy gives up on it.</summary>
    public int Retries { get; init; }

    /// <summary>Whether an item that failed every attempt is recorded and skipped rather than failing the pipeline.</summary>
    public bool SkipFailed { get; init; }

    /// <summary>Runs a failed item up to <paramref name="times"/> more times, then fails fast; add <c>with { SkipFailed = true }</c> to skip instead.</summary>
    public static StageErrorPolicy Retry(int times) => new() { Retries = times };

    internal void Validate(ProblemList problems)
    {
        if (Retries < 0)
        {
            problems.Add($"Errors.Retries must be 0 or more (was {Retries}).");
        }
    }
}
