namespace Spindle.Jobs;

/// <summary>
/// One run's --timeout: each job's timer, with a fixed limit, or under --timeout N% one limit for every running job
/// that moves as the median run time of the jobs that succeeded moves.
/// </summary>
/// <remarks>Locked on its own: slot threads start, end and finish jobs at the same time.</remarks>
internal sealed class JobTimeouts
{
    private readonly TimeSpan? _limit;
    private readonly double? _fraction;
    private readonly Lock _lock = new();
    // Only --timeout N% needs the median run time; without it the heaps are never built.
    private readonly RunningMedian? _median;
    // The running jobs' timers under --timeout N%, by slot, re-armed whenever the median changes.
    private readonly Dictionary<int, JobTimeout>? _running;

    public JobTimeouts(TimeSpan? limit, double? fraction)
    {
        _limit = limit;
        _fraction = fraction;
        _median = fraction is null ? null : new RunningMedian();
        _running = fraction is null ? null : [];
    }

    /// <summary>Arms the timer of a job that has just started; null without --timeout.</summary>
    public JobTimeout? Start(RunningJob job, int slot, long startTicks)
    {
        if (_limit is { } limit)
        {
            return new JobTimeout(job, limit, startTicks);
        }

        if (_fraction is not { } fraction)
        {
            return null;
        }

        // --timeout N%: GNU parallel holds one limit for every running job and moves it as the median moves, so a
        // job that started before any job had finished is still killed once a median exists (see Succeeded).
        lock (_lock)
        {
            var timeout = new JobTimeout(job, _median!.Count > 0 ? TimeSpan.FromSeconds(_median.Median * fraction) : null, startTicks);
            _running![slot] = timeout;
            return timeout;
        }
    }

    /// <summary>The job of <paramref name="slot"/> has ended: its timer no longer moves with the median.</summary>
    public void Ended(int slot)
    {
        if (_running is null)
        {
            return;
        }

        lock (_lock)
        {
            _running.Remove(slot);
        }
    }

    /// <summary>A job succeeded after <paramref name="runtime"/>: under --timeout N%, the median and every running job's limit move.</summary>
    public void Succeeded(TimeSpan runtime)
    {
        if (_median is null)
        {
            return;
        }

        lock (_lock)
        {
            _median.Add(runtime.TotalSeconds);
            var limit = TimeSpan.FromSeconds(_median.Median * _fraction!.Value);
            foreach (var timeout in _running!.Values)
            {
                timeout.Rearm(limit);
            }
        }
    }
}
