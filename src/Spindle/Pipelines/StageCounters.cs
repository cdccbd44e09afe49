using System.Diagnostics;

namespace Spindle.Pipelines;

/// <summary>
/// Lock-free figures of one stage in one run. Progress events, <see cref="PipelineRun{T}.Progress"/> and the
/// Metrics instruments all read these same numbers.
/// </summary>
internal sealed class StageCounters(string name, string executor, int parallelism, int bufferCapacity, Func<int> buffered)
{
    private long _in;
    private long _out;
    private long _failed;
    private long _retries;
    private long _running;

    // Busy time is kept as finished time plus, for running items, "now minus their start": summing the starts
    // lets a reader compute the running part without visiting each item. Times are ticks since the run started,
    // so the sum cannot overflow.
    private long _busyTicks;
    private long _runningStartSum;

    public string Name { get; } = name;

    public void In(int count) => Interlocked.Add(ref _in, count);

    public void Out(int count) => Interlocked.Add(ref _out, count);

    public void Failed() => Interlocked.Increment(ref _failed);

    public void Retried() => Interlocked.Increment(ref _retries);

    public void Started(long sinceStart)
    {
        Interlocked.Add(ref _runningStartSum, sinceStart);
        Interlocked.Increment(ref _running);
    }

    public void Ended(long startedAt, long sinceStart)
    {
        Interlocked.Add(ref _busyTicks, sinceStart - startedAt);
        Interlocked.Decrement(ref _running);
        Interlocked.Add(ref _runningStartSum, -startedAt);
    }

    public StageProgress Snapshot(long sinceStart)
    {
        var running = Volatile.Read(ref _running);
        var busy = Volatile.Read(ref _busyTicks) + (running * sinceStart) - Volatile.Read(ref _runningStartSum);
        var share = sinceStart <= 0 ? 0 : Math.Clamp((double)busy / ((double)parallelism * sinceStart), 0, 1);
        var seconds = (double)sinceStart / Stopwatch.Frequency;
        var itemsOut = Volatile.Read(ref _out);
        return new StageProgress(
            Name,
            executor,
            parallelism,
            Volatile.Read(ref _in),
            itemsOut,
            Volatile.Read(ref _failed),
            Volatile.Read(ref _retries),
            running,
            buffered(),
            bufferCapacity,
            share,
            seconds <= 0 ? 0 : itemsOut / seconds);
    }
}
