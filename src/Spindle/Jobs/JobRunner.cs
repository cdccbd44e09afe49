using System.Runtime.Versioning;

namespace Spindle.Jobs;

/// <summary>
/// Runs a shell command over many inputs at once, with GNU parallel's options and meanings: <c>spindle run</c>'s
/// engine, callable from any C# program.
/// </summary>
/// <remarks>
/// <code>
///   inputs ──► InputCombiner ──► JobDispatcher [its lock: seq, --resume skip, --delay, --load] ──► slot thread 1..N
///                                                                                  │ render command (-S: ssh line)
///                                                                                  │ posix_spawn (own process group)
///                                                                                  │ wait (memfds) or pump (pipes)
///                                                                                  ▼
///              JobTally [state lock: counts, --halt] ◄── finish ──► JobReporter: OutputSink (whole jobs / lines),
///                                                                      --joblog, --results, messages, progress
/// </code>
/// Each slot is a dedicated thread that runs one job at a time synchronously: a blocking waitpid costs no
/// thread-pool thread and no per-job allocation of tasks or timers beyond the job's own. Slot threads start only as
/// inputs arrive, so three inputs never start 256 threads.
/// </remarks>
[SupportedOSPlatform("linux")]
public static class JobRunner
{
    /// <summary>
    /// Runs every job and returns how the run ended. Throws <see cref="SpindleOptionsException"/> (no job started)
    /// when the options are invalid, and <see cref="OperationCanceledException"/> after killing the running jobs'
    /// process trees when <paramref name="cancellationToken"/> is cancelled.
    /// </summary>
    public static Task<JobRunResult> RunAsync(JobRunOptions options, CancellationToken cancellationToken = default)
    {
        var plan = Plan(options, cancellationToken);
        if (options.Semaphore || options.SemaphoreWait)
        {
            return Task.Run(() => JobSemaphore.Run(plan, cancellationToken), CancellationToken.None);
        }

        if (options.OnAll || options.NonAll)
        {
            return Task.Run(() => OnAllRun.Run(plan, cancellationToken), CancellationToken.None);
        }

        return options.DryRun ? Task.FromResult(JobDryRun.Run(plan)) : RunCoreAsync(plan, cancellationToken);
    }

    /// <summary>
    /// Runs every job like <see cref="RunAsync"/>, blocking the calling thread until the run ends: for scripts and
    /// command-line tools, which then need no thread-pool thread at all.
    /// </summary>
    public static JobRunResult Run(JobRunOptions options, CancellationToken cancellationToken = default)
    {
        var plan = Plan(options, cancellationToken);
        if (options.Semaphore || options.SemaphoreWait)
        {
            return JobSemaphore.Run(plan, cancellationToken);
        }

        if (options.OnAll || options.NonAll)
        {
            return OnAllRun.Run(plan, cancellationToken);
        }

        if (options.DryRun)
        {
            return JobDryRun.Run(plan);
        }

        using var run = new JobRun(plan, cancellationToken);
        using var registration = run.Start();
        // A synchronous wait on the task is signalled by the thread that completes it, with no thread-pool hop: the
        // task's RunContinuationsAsynchronously applies to continuations, not to blocked waiters.
        run.Done.Wait(CancellationToken.None);
        return run.Result();
    }

    /// <summary>What both entry points check first: valid options (all problems at once) and a token not yet cancelled.</summary>
    private static ValidatedJobRun Plan(JobRunOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        var plan = options.Validate();
        cancellationToken.ThrowIfCancellationRequested();
        return plan;
    }

    private static async Task<JobRunResult> RunCoreAsync(ValidatedJobRun plan, CancellationToken cancellationToken)
    {
        using var run = new JobRun(plan, cancellationToken);
        using var registration = run.Start();
        await run.Done.ConfigureAwait(false);
        return run.Result();
    }
}
