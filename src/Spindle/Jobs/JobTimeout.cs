namespace Spindle.Jobs;

/// <summary>Kills a job's process tree when its --timeout passes; disposing it first disarms it.</summary>
internal sealed class JobTimeout : IDisposable
{
    private readonly Timer _timer;
    private volatile bool _fired;

    public JobTimeout(RunningJob job, TimeSpan limit)
    {
        _timer = new Timer(static state =>
        {
            var (self, job) = ((JobTimeout, RunningJob))state!;
            self._fired = true;
            _ = job.TerminateAsync();
        }, (this, job), limit, System.Threading.Timeout.InfiniteTimeSpan);
    }

    /// <summary>Whether the limit passed before the job ended.</summary>
    public bool Fired => _fired;

    public void Dispose() => _timer.Dispose();
}
