using System.Collections.Concurrent;

namespace Spindle.Threads;

/// <summary>
/// The CPU lane: a fixed set of dedicated threads, never the shared ThreadPool, so CPU-heavy or blocking work
/// cannot starve the async continuations of the rest of the app (dotnet/runtime#47366).
/// </summary>
/// <remarks>
/// An idle thread spins a little, then sleeps until work is queued; an enqueue takes no lock unless a thread sleeps.
/// The lane used to count its queue with a <see cref="SemaphoreSlim"/>, whose every release takes a lock and whose
/// wait spins 140 rounds, most of them <c>sched_yield</c> calls that, with more runnable threads than cores, trade the
/// core with another thread. Without it, <c>Submit</c> of trivial work took about a fifth less per task in a one-off
/// A/B check on 2 cores (docs/benchmarks.md, section Thread executor, has the reproducible figures).
/// </remarks>
internal sealed class CpuLane : ILane, IDisposable
{
    // How long an idle thread looks for work before it sleeps: SpinWait's first ten rounds spin (a few microseconds),
    // the next ten yield the core. Spinning less made Map, whose next batch comes a moment after the last, wake
    // sleeping threads for most batches (about twice its time per item).
    private const int SpinRounds = 20;

    private readonly ConcurrentQueue<ThreadWorkItem> _queue = new();
    private readonly Thread[] _threads;

    // Guards the sleepers' waits (a Monitor, not a Lock: they wait on it). _sleeping counts the threads that are asleep
    // or about to sleep; _wakes, the wake-ups handed out and not yet taken, so that a burst of items wakes each sleeper
    // once instead of pulsing for every item.
    private readonly object _gate = new();
    private int _sleeping;
    private int _wakes;
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

        // The queue's write, then the read of _sleeping; a sleeper counts itself, then looks at the queue. With a full
        // fence in each, at least one of the two sees the other, so no item waits while every thread sleeps.
        Interlocked.MemoryBarrier();
        if (Volatile.Read(ref _sleeping) != 0)
        {
            WakeOne();
        }
    }

    public void OnTaskDone()
    {
    }

    public void CancelPending(CancellationToken token)
    {
        // A thread that wakes for one of these finds the queue empty and simply sleeps again.
        while (_queue.TryDequeue(out var item))
        {
            item.TryCancelPending(token);
        }
    }

    public void Stop()
    {
        _stopping = true;
        lock (_gate)
        {
            Monitor.PulseAll(_gate);
        }
    }

    /// <summary>Waits until every lane thread has left its loop.</summary>
    public void Dispose()
    {
        foreach (var thread in _threads)
        {
            thread.Join();
        }
    }

    private void Loop()
    {
        while (true)
        {
            if (_queue.TryDequeue(out var item))
            {
                item.Execute();
            }
            else if (_stopping)
            {
                return;
            }
            else if (!SpinForWork())
            {
                Sleep();
            }
        }
    }

    /// <summary>Spins, then yields, for <see cref="SpinRounds"/> rounds or until work is queued; true if there is work (or a stop).</summary>
    private bool SpinForWork()
    {
        var spinner = default(SpinWait);
        while (spinner.Count < SpinRounds)
        {
            spinner.SpinOnce(sleep1Threshold: -1);
            if (!_queue.IsEmpty || _stopping)
            {
                return true;
            }
        }

        return false;
    }

    private void Sleep()
    {
        lock (_gate)
        {
            Interlocked.Increment(ref _sleeping);
            while (_wakes == 0 && _queue.IsEmpty && !_stopping)
            {
                Monitor.Wait(_gate);
            }

            if (_wakes > 0)
            {
                _wakes--;
            }

            _sleeping--;
        }
    }

    private void WakeOne()
    {
        lock (_gate)
        {
            if (_sleeping > _wakes)
            {
                _wakes++;
                Monitor.Pulse(_gate);
            }
        }
    }
}
