namespace Spindle.Pipelines;

/// <summary>One item's result or exception within a batch.</summary>
internal readonly record struct Outcome<T>(T Value, Exception? Error);
