namespace Spindle.Diagnostics;

/// <summary>How a task ended.</summary>
internal enum TaskOutcome
{
    Completed,
    Failed,
    Cancelled,
}
