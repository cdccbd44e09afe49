namespace Spindle.Pipelines;

/// <summary>An item that a stage skipped after its work failed every attempt.</summary>
/// <param name="Stage">The name of the stage whose work failed.</param>
/// <param name="Item">The item the work was given.</param>
/// <param name="Exception">The exception of the last attempt.</param>
/// <param name="Attempts">How many times the work was run on the item.</param>
public sealed record StageFailure(string Stage, object? Item, Exception Exception, int Attempts);
