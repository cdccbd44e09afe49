using System.Diagnostics;

namespace Spindle.Auto;

/// <summary>
/// Runs one async call's code on the ThreadPool and adds up the CPU time and allocations of each piece that runs
/// between awaits. Continuations come back to the scheduler they started on (TaskScheduler.Current), so the
/// whole call is measured; pieces after a ConfigureAwait(false) escape it, which can only make a call look more
/// I/O-bound than it is.
/// </summary>
internal sealed class ProfilingScheduler : TaskScheduler
{
    private long _cpuNanoseconds;
    private long _allocatedBytes;
    private long _preemptedNanoseconds;
    private long _gcPauseNanoseconds;
    private long _stolenNanoseconds;
    private long _firstStart;
    private long _lastEnd;
    private int _piecesRunning;

    public long CpuNanoseconds => Interlocked.Read(ref _cpuNanoseconds);

    public long AllocatedBytes => Interlocked.Read(ref _allocatedBytes);

    public long PreemptedNanoseconds => Interlocked.Read(ref _preemptedNanoseconds);

    /// <summary>Runs an async call on a fresh profiling scheduler; its measurement is recorded however it ends.</summary>
    public static async Task<TResult> Run<TResult>(Func<Task<TResult>> call, Action<Measurement> record)
    {
        var scheduler = new ProfilingScheduler();
        try
        {
            // Forced to yield: the continuation must not run inline inside the last piece, before that piece's
            // own figures are added up.
            return await Task.Factory.StartNew(call, CancellationToken.None, TaskCreationOptions.DenyChildAttach, scheduler).Unwrap()
                .ConfigureAwait(ConfigureAwaitOptions.ForceYielding);
        }
        finally
        {
            var spin = default(SpinWait);
            while (Volatile.Read(ref scheduler._piecesRunning) != 0)
            {
                spin.SpinOnce();
            }

            // Wall time counts from when the call's first piece began to run: time queued before it is the
            // machine's business, not the call's nature.
            // Likewise it ends when its last piece finished, not when this continuation got a thread.
            var start = Interlocked.Read(ref scheduler._firstStart);
            var end = Interlocked.Read(ref scheduler._lastEnd);
            var wall = start == 0 || end < start ? 0 : (long)((end - start) * (1e9 / Stopwatch.Frequency));
            record(new Measurement(wall, scheduler.CpuNanoseconds, scheduler.PreemptedNanoseconds, scheduler.AllocatedBytes, Interlocked.Read(ref scheduler._gcPauseNanoseconds), Interlocked.Read(ref scheduler._stolenNanoseconds)));
        }
    }

    public static long Elapsed(long start) => (long)(Stopwatch.GetElapsedTime(start).TotalMilliseconds * 1_000_000);

    protected override void QueueTask(Task task) =>
        ThreadPool.UnsafeQueueUserWorkItem(static s => s.Self.Measure(s.Task), (Self: this, Task: task), preferLocal: true);

    protected override bool TryExecuteTaskInline(Task task, bool taskWasPreviouslyQueued) =>
        !taskWasPreviouslyQueued && Measure(task);

    protected override IEnumerable<Task>? GetScheduledTasks() => null;

    private bool Measure(Task task)
    {
        Interlocked.Increment(ref _piecesRunning);

        // Pause and steal are read outside the piece's wall and CPU time: reading /proc/stat is not its work.
        var paused = Measurement.GcPausedSoFar();
        var stolen = Measurement.StolenSoFar();
        Interlocked.CompareExchange(ref _firstStart, Stopwatch.GetTimestamp(), 0);
        var (cpu, runnable) = ThreadCpuClock.Sample();
        var allocated = GC.GetAllocatedBytesForCurrentThread();
        var ran = TryExecuteTask(task);
        var (cpuAfter, runnableAfter) = ThreadCpuClock.Sample();
        InterlockedMax(ref _lastEnd, Stopwatch.GetTimestamp());
        Interlocked.Add(ref _gcPauseNanoseconds, Measurement.GcPausedSoFar() - paused);
        Interlocked.Add(ref _stolenNanoseconds, Measurement.StolenSoFar() - stolen);
        Interlocked.Add(ref _cpuNanoseconds, cpuAfter - cpu);
        Interlocked.Add(ref _preemptedNanoseconds, runnableAfter - runnable);
        Interlocked.Decrement(ref _piecesRunning);
        Interlocked.Add(ref _allocatedBytes, GC.GetAllocatedBytesForCurrentThread() - allocated);
        return ran;
    }

    private static void InterlockedMax(ref long target, long value)
    {
        long seen;
        while ((seen = Interlocked.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, seen) != seen)
        {
        }
    }
}
