using Spindle.Internal;
namespace Spindle;

/// <summary>Per-task settings for <see cref="Executor.Submit{TArg, TResult}(Func{TArg, TResult}, TArg, TaskOptions, CancellationToken)"/>.</summary>
public sealed record TaskOptions
{
    /// <summary>The default: no timeout, the kind taken from the work itself, no retries.</summary>
    public static TaskOptions Default { get; } = new();

    /// <summary>
    /// How long the task may run; on threads the task's token is cancelled (cooperative), on processes
    /// the worker is killed (a hard stop). Null means no limit.
    /// </summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>The kind of work, overriding any attribute on the method and any measurement.</summary>
    public WorkKind? Kind { get; init; }

    /// <summary>How many times a task whose worker process crashed is run again (processes only).</summary>
    public int Retries { get; init; }

    internal void Validate(ProblemList problems)
    {
        if (Timeout is { } t && t <= TimeSpan.Zero && t != System.Threading.Timeout.InfiniteTimeSpan)
        {
            problems.Add($"Timeout must be greater than zero (was {t}); use null for no timeout.");
        }

        if (Retries < 0)
        {
            problems.Add($"Retries must be 0 or more (was {Retries}).");
        }
    }
}
