namespace Spindle.Jobs;

/// <summary>How one try of a job went: when it started, how long it ran, how it ended and what it wrote.</summary>
internal readonly record struct JobAttempt(DateTimeOffset Start, TimeSpan Runtime, int ExitValue, int Signal, CapturedOutput? Stdout, CapturedOutput? Stderr, long Received, bool TimedOut, bool Killed, bool Written)
{
    public bool Succeeded => ExitValue == 0 && Signal == 0;

    // Closes the memfds of an attempt that was retried, skipped or never written; safe after the sink's own.
    public void Dispose()
    {
        Stdout?.Dispose();
        Stderr?.Dispose();
    }
}
