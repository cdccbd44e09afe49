namespace Spindle.Jobs;

/// <summary>What --results records of one finished job: GNU parallel's joblog columns, the values and the output.</summary>
internal sealed record JobResultRecord(long Seq, int Slot, IReadOnlyList<string> Args, string Command, DateTimeOffset Start, TimeSpan Runtime, long Received, int ExitValue, int Signal, CapturedOutput? Stdout, CapturedOutput? Stderr);
