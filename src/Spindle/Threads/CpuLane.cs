using System.Collections.Concurrent;

namespace Spindle.Threads;

/// <summary>
/// The CPU lane: a fixed set of dedicated threads, never the shared ThreadPool, so CPU-heavy or blocking work
/// cannot starve the async continuations of the rest of the app (dotnet/runtime#47366).
/// </summary>
internal sealed class CpuLane : ILane, IDisposable
{
    private readonly ConcurrentQueue<ThreadWorkItem> _queue = new();

    // One count per enqueued item (plus one per thread at stop). SemaphoreSlim spins briefly before it
    // blocks, which keeps a busy lane from paying for a kernel wait per task.
    private readonly SemaphoreSlim _signal = new(0);
    private readonly Thread[] _threads;
    private volatile bool _stopping;

    public CpuLane(string name, int threads)
    {
        _threads = new Thread[threads];
        for (var i = 0; i < threads; i++)
        {
            _threads[i] = new Thread(Loop)
            {
                IsBackground = true,
                Name = $"{name} cpu {i}",
            };
            _threads[i].Start();
        }
    }

    public int Concurrency => _threads.Length;

    public void Enqueue(ThreadWorkItem item)
    {
        _queue.Enqueue(item);
        _signal.Release();
    }

    public void OnTaskDone()
    {
    }

    public void CancelPending(CancellationToken token)
    {
        // The semaphore keeps counts for the items taken here; a thread that wakes for one finds the queue
        // empty and simply waits again.
        while (_queue.TryDequeue(out var item))
        {
            item.TryCancelPending(token);
        }
    }

    public void Stop()
    {
        _stopping = true;
        _signal.Release(_threads.Length);
    }

    /// <summary>Frees the semaphore once every lane thread has left its loop.</summary>
    public void Dispose()
    {
        foreach (var thread in _threads)
        {
            thread.Join();
        }

        _signal.Dispose();
    }

    private void Loop()
    {
        while (true)
        {
            _signal.Wait();
            if (_queue.TryDequeue(out var item))
            {
                item.Execute();
            }
            else if (_stopping)
            {
                return;
            }
        }
    }
}
