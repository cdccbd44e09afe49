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

    public long CpuNanoseconds => Interlocked.Read(ref _cpuNanoseconds);

    public long AllocatedBytes => Interlocked.Read(ref _allocatedBytes);

    public long PreemptedNanoseconds => Interlocked.Read(ref _preemptedNanoseconds);

    /// <summary>Runs an async call on a fresh profiling scheduler; its measurement is recorded however it ends.</summary>
    public static async Task<TResult> Run<TResult>(Func<Task<TResult>> call, Action<Measurement> record)
    {
        var scheduler = new ProfilingScheduler();
        var start = Stopwatch.GetTimestamp();
        try
        {
            return await Task.Factory.StartNew(call, CancellationToken.None, TaskCreationOptions.DenyChildAttach, scheduler).Unwrap().ConfigureAwait(false);
        }
        finally
        {
            record(new Measurement(Elapsed(start), scheduler.CpuNanoseconds, scheduler.PreemptedNanoseconds, scheduler.AllocatedBytes));
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
        var (cpu, runnable) = ThreadCpuClock.Sample();
        var allocated = GC.GetAllocatedBytesForCurrentThread();
        var ran = TryExecuteTask(task);
        var (cpuAfter, runnableAfter) = ThreadCpuClock.Sample();
        Interlocked.Add(ref _cpuNanoseconds, cpuAfter - cpu);
        Interlocked.Add(ref _preemptedNanoseconds, runnableAfter - runnable);
        Interlocked.Add(ref _allocatedBytes, GC.GetAllocatedBytesForCurrentThread() - allocated);
        return ran;
    }
}
