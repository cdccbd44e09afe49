using System.Runtime.Versioning;

namespace Spindle.Jobs;

/// <summary>
/// The run's counts and GNU parallel's --halt decisions over them. Not locked itself: the run calls it only under its
/// state lock, together with the running-job table, so that a halt decision sees the counts of the same moment.
/// </summary>
[SupportedOSPlatform("linux")]
internal sealed class JobTally(HaltPolicy halt)
{
    private double _runtimeSum;

    /// <summary>The number of jobs when every input was read first (a percentage halt, a bar, --plus's {##}).</summary>
    public long? Total { get; set; }

    public long Started { get; private set; }

    public long Completed { get; private set; }

    public long Failed { get; private set; }

    public long Skipped { get; private set; }

    /// <summary>Whether --halt stopped the run.</summary>
    public bool Halted { get; private set; }

    private int? _haltExit;

    public void JobStarted() => Started++;

    public void JobSkipped() => Skipped++;

    /// <summary>A job killed by a halt or by cancellation: counted as failed, never as a reason to halt.</summary>
    public void JobKilled()
    {
        Completed++;
        Failed++;
    }

    /// <summary>Counts a finished job and returns when --halt says to stop (with the message to print), or Never.</summary>
    public HaltWhen JobFinished(JobAttempt attempt, string command, ref string? message)
    {
        Completed++;
        _runtimeSum += attempt.Runtime.TotalSeconds;
        if (!attempt.Succeeded)
        {
            Failed++;
        }

        return HaltDecision(attempt, command, ref message);
    }

    /// <summary>The counts for a progress report.</summary>
    public JobProgress Progress(int running, int slots, TimeSpan elapsed)
    {
        var average = Completed > 0 ? TimeSpan.FromSeconds(_runtimeSum / Completed) : TimeSpan.Zero;
        return new JobProgress(Total is { } t ? t - Skipped : null, Started, Completed, Failed, running, slots, elapsed, average);
    }

    /// <summary>How the run ended, with GNU parallel's exit status.</summary>
    public JobRunResult Result() => new()
    {
        ExitStatus = ExitStatus(halt, _haltExit, Failed, Started),
        Started = Started,
        Succeeded = Completed - Failed,
        Failed = Failed,
        Skipped = Skipped,
        Halted = Halted,
    };

    /// <summary>The run's exit status as GNU parallel computes it: failed jobs (101 for more than 100), or --halt's.</summary>
    internal static int ExitStatus(HaltPolicy halt, int? haltExit, long failed, long started)
    {
        if (haltExit is { } decided)
        {
            return decided;
        }

        if (halt.When != HaltWhen.Never && halt.IsPercent)
        {
            return (int)Math.Ceiling(failed * 100.0 / Math.Max(started, 1));
        }

        return (int)Math.Min(failed, 101);
    }

    // GNU parallel's should_we_halt, line for line in meaning.
    private HaltWhen HaltDecision(JobAttempt attempt, string command, ref string? message)
    {
        if (halt.When == HaltWhen.Never || Halted)
        {
            return HaltWhen.Never;
        }

        long? limit = null;
        if (!attempt.Succeeded)
        {
            if (halt.On == HaltOn.Fail)
            {
                message = $"spindle: This job failed:\n{command}\n";
                limit = Failed;
            }
        }
        else if (halt.On == HaltOn.Success)
        {
            message = $"spindle: This job succeeded:\n{command}\n";
            limit = Completed - Failed;
        }

        if (halt.On == HaltOn.Done)
        {
            message = $"spindle: This job finished:\n{command}\n";
            limit = Completed;
        }

        if (limit is null)
        {
            return HaltWhen.Never;
        }

        var total = Total ?? 0;
        var count = halt.IsPercent ? total * halt.Fraction : halt.Count;
        if (limit < count)
        {
            return HaltWhen.Never;
        }

        Halted = true;
        if (halt.On is HaltOn.Fail or HaltOn.Done)
        {
            if (halt.IsPercent)
            {
                _haltExit = (int)Math.Ceiling(Failed * 100.0 / Math.Max(total, 1));
            }
            else
            {
                _haltExit = (int)Math.Min(Failed, 101);
            }

            if (!halt.IsPercent && halt.Count == 1)
            {
                // Bash's convention: a job ended by a signal counts as 128 + the signal.
                _haltExit = attempt.ExitValue != 0 ? attempt.ExitValue : attempt.Signal != 0 ? attempt.Signal + 128 : 0;
            }
        }
        else
        {
            _haltExit = 0;
        }

        return halt.When;
    }
}
