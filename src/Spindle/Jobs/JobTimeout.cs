using System.Diagnostics;

namespace Spindle.Jobs;

/// <summary>Kills a job's process tree when its --timeout passes; disposing it first disarms it.</summary>
internal sealed class JobTimeout : IDisposable
{
    private readonly Timer _timer;
    private readonly long _startTicks;
    private volatile bool _fired;

    /// <summary>Arms the timer; a null <paramref name="limit"/> (--timeout N% before any median) leaves it disarmed until <see cref="Rearm"/>.</summary>
    public JobTimeout(RunningJob job, TimeSpan? limit, long startTicks)
    {
        _startTicks = startTicks;
        _timer = new Timer(static state =>
        {
            var (self, job) = ((JobTimeout, RunningJob))state!;
            self._fired = true;
            _ = job.TerminateAsync();
        }, (this, job), Due(limit), System.Threading.Timeout.InfiniteTimeSpan);
    }

    /// <summary>Whether the limit passed before the job ended.</summary>
    public bool Fired => _fired;

    /// <summary>
    /// Moves the deadline to <paramref name="limit"/> after the job's start, as GNU parallel does when the median run
    /// time changes: a job already running longer than the new limit is killed at once.
    /// </summary>
    public void Rearm(TimeSpan limit)
    {
        try
        {
            _timer.Change(Due(limit), System.Threading.Timeout.InfiniteTimeSpan);
        }
        catch (ObjectDisposedException)
        {
            // The job ended between the median's update and this call; there is nothing left to time out.
        }
    }

    private TimeSpan Due(TimeSpan? limit)
    {
        if (limit is not { } l)
        {
            return System.Threading.Timeout.InfiniteTimeSpan;
        }

        var due = l - Stopwatch.GetElapsedTime(_startTicks);
        return due > TimeSpan.Zero ? due : TimeSpan.Zero;
    }

    public void Dispose() => _timer.Dispose();
}
