namespace Spindle.Threads;

/// <summary>A lane of the thread executor: where a task waits and which threads run it.</summary>
internal interface ILane
{
    /// <summary>How many tasks the lane runs at once.</summary>
    int Concurrency { get; }

    void Enqueue(ThreadWorkItem item);

    /// <summary>Called once by every item the lane dequeued, when it is finished or was skipped.</summary>
    void OnTaskDone();

    /// <summary>Ends every task still waiting in the lane as cancelled.</summary>
    void CancelPending(CancellationToken token);

    /// <summary>Releases the lane's threads; called once all work has ended.</summary>
    void Stop();
}
