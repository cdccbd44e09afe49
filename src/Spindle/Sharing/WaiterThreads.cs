using System.Collections.Concurrent;

namespace Spindle.Sharing;

/// <summary>
/// How the async waits of shared queues and events wait. Another process's write can only be learnt from a futex,
/// and a futex wait blocks a thread; so an async wait first spins briefly on the caller's thread (an item is often a
/// few hundred nanoseconds away), then goes to a dedicated waiter thread of this class, never to the thread pool
/// (which it could starve) and never blocking the caller (who may be the one to write next). Waiter threads are
/// kept while waits keep coming, and exit after 30 s without one.
/// </summary>
internal static class WaiterThreads
{
    private static readonly BlockingCollection<Request> s_requests = [];
    private static readonly TimeSpan s_idleExit = TimeSpan.FromSeconds(30);

    // Waiter threads that are idle and not yet promised a request. A request takes one (or starts a thread), so that
    // a wait never queues behind another that may block for as long as it likes.
    private static int s_idle;

    /// <summary>
    /// Returns <paramref name="ready"/>'s answer if it has one within a short spin; otherwise the answer of the blocking
    /// <paramref name="wait"/>, run on a waiter thread.
    /// </summary>
    public static ValueTask<bool> Run<TState>(TState state, Func<TState, bool?> ready, Func<TState, CancellationToken, bool> wait, CancellationToken cancellationToken)
    {
        for (var spin = new SpinWait(); !spin.NextSpinWillYield; spin.SpinOnce(sleep1Threshold: -1))
        {
            if (ready(state) is { } early)
            {
                return new(early);
            }
        }

        var request = new Request(token => wait(state, token), new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously), cancellationToken);
        while (true)
        {
            var idle = Volatile.Read(ref s_idle);
            if (idle == 0)
            {
                new Thread(static r => Serve((Request)r!)) { IsBackground = true, Name = "spindle shared waiter" }.Start(request);
                break;
            }

            if (Interlocked.CompareExchange(ref s_idle, idle - 1, idle) == idle)
            {
                s_requests.Add(request, CancellationToken.None);
                break;
            }
        }

        return new(request.Completion.Task);
    }

    private static void Serve(Request request)
    {
        while (true)
        {
            request.Run();
            Interlocked.Increment(ref s_idle);
            while (!s_requests.TryTake(out request!, s_idleExit))
            {
                // Leave only if no request has been promised to this thread meanwhile; otherwise take it.
                var idle = Volatile.Read(ref s_idle);
                if (idle > 0 && Interlocked.CompareExchange(ref s_idle, idle - 1, idle) == idle)
                {
                    return;
                }
            }
        }
    }

    private sealed record Request(Func<CancellationToken, bool> Wait, TaskCompletionSource<bool> Completion, CancellationToken Token)
    {
        public void Run()
        {
            try
            {
                Completion.TrySetResult(Wait(Token));
            }
            catch (OperationCanceledException) when (Token.IsCancellationRequested)
            {
                Completion.TrySetCanceled(Token);
            }
#pragma warning disable CA1031 // Whatever the wait throws (an unmapped segment) is the awaiting caller's to see.
            catch (Exception e)
#pragma warning restore CA1031
            {
                Completion.TrySetException(e);
            }
        }
    }
}
