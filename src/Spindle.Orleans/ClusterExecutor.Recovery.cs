namespace Spindle.Orleans;

// Recovery after a failed call or a lost silo: a batch whose call failed is asked after on its silo, a lost silo's
// unanswered tasks run again elsewhere or fail, and a suspect silo is sent work again once it answers. It is a part of
// the executor rather than a type of its own because it moves tasks between the lanes and the pending queue, in one
// step under the executor's lock with respect to dispatch and to replies.
internal sealed partial class ClusterExecutor
{
    /// <summary>
    /// A call failed while its silo is still a member of the cluster: most often the gateway it went through died (the
    /// client reaches every silo through one of them), not its silo. The silo is asked what became of the batch, as
    /// after any loss, rather than its tasks failed; a silo that cannot be asked loses the batch then. A task is
    /// recovered this way at most twice, so a call that fails for another reason still fails its tasks.
    /// </summary>
    private bool RecoverAfterFailedCall(SiloBatch batch, string reason, Exception cause)
    {
        lock (_gate)
        {
            if (batch.Settled)
            {
                return true;
            }

            if (_stop.IsCancellationRequested || !_lanes.ContainsKey(batch.Lane.Address) || batch.Tasks.Any(static t => t.Recoveries >= 2))
            {
                return false;
            }

            batch.Lane.Suspect = true;
            foreach (var task in batch.Tasks)
            {
                task.Recoveries++;
            }
        }

        _ = RecoverAsync(batch, (reason, cause));
        return true;
    }

    /// <summary>
    /// Recovers a batch whose request or reply may have been lost with another silo's gateway: after a grace period
    /// for a reply on its way, its silo gives the replies of the runs still in progress there as they end; runs it
    /// does not know never arrived or were answered into the void, and are queued again (they may run twice).
    /// </summary>
    private async Task RecoverAsync(SiloBatch batch, (string Reason, Exception Cause)? callFailed = null)
    {
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(1), _stop.Token).ConfigureAwait(false);
            long[] ids;
            lock (_gate)
            {
                if (batch.Settled)
                {
                    return;
                }

                ids = [.. batch.Tasks.Where(static t => !t.IsCompleted).Select(static t => t.Id)];
            }

            var replies = await batch.Lane.Grain.Recover(_id, ids).WaitAsync(_stop.Token).ConfigureAwait(false);
            lock (_gate)
            {
                if (batch.Settled)
                {
                    return;
                }

                Settle(batch);
            }

            var byId = batch.Tasks.ToDictionary(static t => t.Id);
            foreach (var (type, body) in Frames.Read(replies))
            {
                var reply = Spindle.Processes.Protocol.ReplyMessage.Read(type, body);
                if (!SiloRunner.IsStoppingReply(reply) && byId.Remove(reply.TaskId, out var task))
                {
                    _ = task.TryComplete(reply, Tracker, wasRunning: true);
                }
            }

            var again = 0;
            lock (_gate)
            {
                foreach (var task in byId.Values.Where(static t => !t.IsCompleted).Reverse())
                {
                    // Not a retry: the task's silo is alive, only a message was lost.
                    task.Attempts--;
                    task.Node = _pending.AddFirst(task);
                    again++;
                }
            }

            if (again > 0)
            {
                Tracker.Requeued(again);
            }

            Dispatch();
        }
#pragma warning disable CA1031 // Its silo is unreachable too, or the executor stopped: membership or shutdown deals with the batch.
        catch (Exception)
#pragma warning restore CA1031
        {
            // Unless its own call has failed already: then nothing else will answer for the batch.
            if (callFailed is { } failed && !_stop.IsCancellationRequested)
            {
                Lose(batch.Lane, [batch], failed.Reason, failed.Cause, suspect: true);
            }
        }
    }

    /// <summary>A silo (or one call to it) was lost: its unanswered batches fail over; no other silo's tasks are touched.</summary>
    private void Lose(SiloLane lane, IEnumerable<SiloBatch> batches, string reason, Exception? cause, bool suspect)
    {
        var tasks = new List<ClusterTask>();
        lock (_gate)
        {
            lane.Suspect |= suspect;
            foreach (var batch in batches.ToArray())
            {
                if (!batch.Settled)
                {
                    Settle(batch);
                    tasks.AddRange(batch.Tasks);
                }
            }
        }

        FailOver(lane, tasks, reason, cause);
    }

    /// <summary>
    /// Tasks whose silo was lost while they ran: each runs again elsewhere while it has retries left, and otherwise
    /// fails with an error naming the silo.
    /// </summary>
    private void FailOver(SiloLane lane, List<ClusterTask> tasks, string reason, Exception? cause)
    {
        var failed = new List<ClusterTask>();
        var requeued = 0;
        lock (_gate)
        {
            // Back to the front in their order, ahead of work that came later.
            for (var i = tasks.Count - 1; i >= 0; i--)
            {
                var task = tasks[i];
                if (task.IsCompleted)
                {
                    continue;
                }

                if (task.Attempts <= _options.Retries && !task.Token.IsCancellationRequested && !_stop.IsCancellationRequested)
                {
                    task.Node = _pending.AddFirst(task);
                    requeued++;
                }
                else
                {
                    failed.Add(task);
                }
            }
        }

        if (requeued > 0)
        {
            Tracker.Requeued(requeued);
        }

        foreach (var task in failed)
        {
            _ = task.Token.IsCancellationRequested
                ? task.TryCancel(Tracker, wasRunning: true)
                : task.TryFail(new SiloLostException(lane.Name, reason, cause), Tracker, wasRunning: true);
        }

        Dispatch();
    }

    /// <summary>
    /// Silos membership declared dead (their lanes already removed): their unanswered batches fail over, and every
    /// other silo is asked what became of the batches it has out.
    /// </summary>
    private void LoseSilos(List<SiloLane> lost)
    {
        foreach (var lane in lost)
        {
            Lose(lane, lane.Batches, "the cluster's membership declared it dead", null, suspect: true);
        }

        if (lost.Count > 0)
        {
            // Requests to the other silos may have gone through a lost silo's gateway, and their replies come back the
            // way their requests went: each batch that was out when the silo died is checked with its own silo.
            SiloBatch[] others;
            lock (_gate)
            {
                others = [.. _lanes.Values.SelectMany(static l => l.Batches)];
            }

            foreach (var batch in others)
            {
                _ = RecoverAsync(batch);
            }
        }
    }

    /// <summary>A silo that failed a call but is still a member: send it work again once it answers. True if one did.</summary>
    private async Task<bool> PingSuspectsAsync(List<SiloLane> suspects)
    {
        var answered = false;
        foreach (var lane in suspects)
        {
            try
            {
                await lane.Grain.Ping().WaitAsync(TimeSpan.FromSeconds(2), _stop.Token).ConfigureAwait(false);
                lock (_gate)
                {
                    lane.Suspect = false;
                }

                answered = true;
            }
#pragma warning disable CA1031 // Still unreachable; membership will declare it dead, or a later ping gets through.
            catch (Exception) when (!_stop.IsCancellationRequested)
#pragma warning restore CA1031
            {
            }
        }

        return answered;
    }
}
