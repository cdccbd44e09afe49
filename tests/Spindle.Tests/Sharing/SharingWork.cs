using MessagePack;
using Spindle.Processes;
using Spindle.Sharing;

namespace Spindle.Tests.Sharing;

/// <summary>Work that runs in worker processes in the sharing tests.</summary>
public static class SharingWork
{
    public static int Pid(int ignored) => Environment.ProcessId;

    /// <summary>How many segments this process has mapped so far.</summary>
    public static long Mappings(int ignored) => SegmentTable.MappingsMade;

    public static double Sum(SharedArray<double> part)
    {
        var sum = 0.0;
        foreach (var value in part.Span)
        {
            sum += value;
        }

        return sum;
    }

    /// <summary>Writes this worker's pid over its part, and says which worker it was and how many mappings it has made.</summary>
    public static (int Pid, long Mappings) Stamp(SharedArray<int> part)
    {
        part.Span.Fill(Environment.ProcessId);
        return (Environment.ProcessId, SegmentTable.MappingsMade);
    }

    /// <summary>Makes a shared array in the worker and hands it back as the result.</summary>
    public static SharedArray<int> MakeSquares(int length)
    {
        var array = SharedArray<int>.Create(length);
        for (var i = 0; i < length; i++)
        {
            array[i] = i * i;
        }

        return array;
    }

    public static int ReadAt(Probe probe) => probe.Array[probe.Index];

    /// <summary>Reads a handle from raw bytes in the worker, as if it had arrived there, and returns the error's type and message.</summary>
    public static string Attach(byte[] handle)
    {
        try
        {
            var array = PayloadSerializer.Deserialize<SharedArray<double>>(handle);
            return $"accepted {array?.Length}";
        }
        catch (MessagePackSerializationException e) when (e.InnerException is SharedHandleException inner)
        {
            return $"{nameof(SharedHandleException)}: {inner.Message}";
        }
    }

    public static async Task<int> Produce(QueueJob job, CancellationToken token)
    {
        for (var i = job.From; i < job.From + job.Count; i++)
        {
            await job.Queue.Writer.WriteAsync(i, token);
        }

        if (job.Complete)
        {
            job.Queue.Writer.Complete();
        }

        return job.Count;
    }

    /// <summary>Reads until the queue is completed, counting each item in <see cref="QueueJob.Seen"/>; returns how many it read.</summary>
    public static async Task<int> Consume(QueueJob job, CancellationToken token)
    {
        var count = 0;
        await foreach (var item in job.Queue.Reader.ReadAllAsync(token))
        {
            job.Seen[item]++;
            count++;
        }

        return count;
    }

    /// <summary>
    /// Increments a plain (non-atomic) shared cell under the lock, slowly, and counts how often it found another
    /// process inside the lock with it.
    /// </summary>
    public static int Contend(LockJob job)
    {
        var overlaps = 0;
        for (var i = 0; i < job.Rounds; i++)
        {
            using (job.Lock.EnterScope())
            {
                if (job.Inside.Increment() != 1)
                {
                    overlaps++;
                }

                var value = job.Cell[0];
                Thread.SpinWait(job.Spin);
                job.Cell[0] = value + 1;
                job.Inside.Decrement();
            }
        }

        return overlaps;
    }

    /// <summary>Says which thread will wait (in Ready), then waits for the event; returns whether it was set.</summary>
    public static bool AwaitEvent(WaitJob job)
    {
        job.Ready.Exchange(ThreadId());
        return job.Event.Wait(TimeSpan.FromSeconds(30));
    }

    /// <summary>Says which thread will wait (in Ready), then takes the lock, which the parent holds.</summary>
    public static bool TakeHeldLock(LockWaitJob job)
    {
        job.Ready.Exchange(ThreadId());
        var taken = job.Lock.TryEnter(TimeSpan.FromSeconds(30));
        if (taken)
        {
            job.Lock.Exit();
        }

        return taken;
    }

    public static bool SetEvent(SharedEvent shared)
    {
        shared.Set();
        return true;
    }

    public static long ThreadId() => long.Parse(Path.GetFileName(Directory.ResolveLinkTarget("/proc/thread-self", false)!.FullName), System.Globalization.CultureInfo.InvariantCulture);

    public sealed record Probe(SharedArray<int> Array, int Index);

    public sealed record QueueJob(SharedQueue<int> Queue, SharedArray<byte> Seen, int From, int Count, bool Complete);

    public sealed record LockJob(SharedLock Lock, SharedCounter Inside, SharedArray<long> Cell, int Rounds, int Spin);

    public sealed record WaitJob(SharedEvent Event, SharedCounter Ready);

    public sealed record LockWaitJob(SharedLock Lock, SharedCounter Ready);
}
