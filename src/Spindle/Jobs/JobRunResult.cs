namespace Spindle.Jobs;

/// <summary>How a job run ended, with GNU parallel's exit status.</summary>
public sealed record JobRunResult
{
    /// <summary>GNU parallel's exit status: 0 when all jobs succeeded, 1-100 the number that failed, 101 for more, or what --halt decided.</summary>
    public required int ExitStatus { get; init; }

    /// <summary>Jobs started in this run (jobs skipped by --resume are not counted).</summary>
    public required long Started { get; init; }

    /// <summary>Jobs that ended with exit value 0 and no signal.</summary>
    public required long Succeeded { get; init; }

    /// <summary>Jobs that failed after their last retry.</summary>
    public required long Failed { get; init; }

    /// <summary>Jobs skipped because the job log shows them done (--resume, --resume-failed).</summary>
    public required long Skipped { get; init; }

    /// <summary>Whether --halt stopped the run early.</summary>
    public required bool Halted { get; init; }
}
