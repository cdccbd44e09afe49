namespace Spindle.Jobs;

/// <summary>A snapshot of a job run's counts, reported each time a job starts or ends.</summary>
/// <param name="Total">How many jobs the run has in all, when known (inputs read ahead); otherwise null.</param>
/// <param name="Started">Jobs started so far (a retried job counts once).</param>
/// <param name="Completed">Jobs that ended, successfully or not.</param>
/// <param name="Failed">Jobs that ended with a non-zero exit value or a signal.</param>
/// <param name="Running">Jobs running now.</param>
/// <param name="Slots">How many jobs may run at once.</param>
/// <param name="Elapsed">Time since the run started.</param>
/// <param name="AverageJobTime">The mean run time of the jobs that ended, or zero.</param>
public readonly record struct JobProgress(long? Total, long Started, long Completed, long Failed, int Running, int Slots, TimeSpan Elapsed, TimeSpan AverageJobTime);
