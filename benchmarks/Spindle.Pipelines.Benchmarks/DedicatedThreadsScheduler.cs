using System.Collections.Concurrent;

namespace Spindle.Pipelines.Benchmarks;

/// <summary>
/// A TaskScheduler with threads of its own, never the pool's: it lets the Dataflow variant run its hash block as
/// Spindle's CPU lane runs the hash stage, so that the two can be compared with the same split of threads.
/// </summary>
public sealed class DedicatedThreadsScheduler : TaskScheduler, IDisposable
{
    private readonly BlockingCollection<Task> _queue = [];
    private readonly Thread[] _threads;

    public DedicatedThreadsScheduler(int threads)
    {
        _threads = new Thread[threads];
        for (var i = 0; i < threads; i++)
        {
            _threads[i] = new Thread(() =>
            {
                foreach (var task in _queue.GetConsumingEnumerable())
                {
                    TryExecuteTask(task);
                }
            })
            { IsBackground = true, Name = $"dataflow cpu {i}" };
            _threads[i].Start();
        }
    }

    public override int MaximumConcurrencyLevel => _threads.Length;

    public void Dispose()
    {
        _queue.CompleteAdding();
        foreach (var thread in _threads)
        {
            thread.Join();
        }

        _queue.Dispose();
    }

    protected override void QueueTask(Task task) => _queue.Add(task);

    // Only the scheduler's own threads run its tasks, as only the CPU lane's threads run the lane's work.
    protected override bool TryExecuteTaskInline(Task task, bool taskWasPreviouslyQueued) => false;

    protected override IEnumerable<Task> GetScheduledTasks() => _queue.ToArray();
}
