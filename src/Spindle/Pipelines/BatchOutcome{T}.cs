namespace Spindle.Pipelines;

/// <summary>The outcome of each item of a batch, and how long the work itself took (without queueing and hand-offs).</summary>
internal sealed record BatchOutcome<T>(Outcome<T>[] Items, long WorkTicks);
