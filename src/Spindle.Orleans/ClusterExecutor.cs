using System.Runtime.CompilerServices;
using Orleans.Runtime;
using Spindle.Diagnostics;
using Spindle.Internal;
using Spindle.Processes;

namespace Spindle.Orleans;

/// <summary>
/// An executor whose workers are the silos of an Orleans cluster.
/// <code>
///  Submit/Map ──► pending queue ──dispatch──► silo A: [batch][batch]     (at most MaxInFlightPerSilo tasks each;
///  (serializes    (cancellable,      │        silo B: [batch]             the least loaded silo is served first)
///   the argument)  FIFO)             │           ▲ one grain per silo (placed on it by its key); a request is a
///                                    │             DefineMessage and RunMessage frames, a reply is ReplyMessage frames
///                                    └─ a batch is consecutive pending tasks of one function and options
///  reply ──► complete each task (exactly once) ──► dispatch more
///  membership poll ──► a new silo gets a lane; a lost one fails (or, with retries, re-queues) its unanswered tasks
/// </code>
/// </summary>
internal sealed class ClusterExecutor : Executor
{
    private readonly IClusterClient _client;
    private readonly ClusterExecutorOptions _options;
    private readonly Guid _id = Guid.NewGuid();
    private readonly ConditionalWeakTable<Delegate, FunctionRef> _functions = [];

    // Guards the pending queue, the lanes and every in-flight count: dispatch decisions read all of them together,
    // and a lost silo's tasks must move back to the queue in one step with respect to dispatch and to replies.
    private readonly Lock _gate = new();
    private readonly LinkedList<ClusterTask> _pending = new();
    private readonly Dictionary<SiloAddress, SiloLane> _lanes = [];
    private int _inFlight;
    private long _nextId;

    private readonly CancellationTokenSource _stop = new();
    private readonly Task _membership;

    public ClusterExecutor(IClusterClient client, ClusterExecutorOptions options)
        : base(options.Name)
    {
        _client = client;
        _options = options;
        _membership = Task.Run(WatchMembershipAsync);
    }

    public override Technique Technique => Technique.Auto;

    /// <summary>The silos this client currently sends work to.</summary>
    public IReadOnlyList<string> Silos
    {
        get
        {
            lock (_gate)
            {
                return [.. _lanes.Values.Where(static l => l.TakesWork).Select(static l => l.Name)];
            }
        }
    }

    private protected override int DefaultMaxInFlight
    {
        get
        {
            int silos;
            lock (_gate)
            {
                silos = Math.Max(1, _lanes.Count);
            }

            var all = _options.MaxInFlightPerSilo * silos;
            return _options.MaxInFlight is { } max ? Math.Min(max, all) : all;
        }
    }

    private protected override Task<TResult> SubmitCore<TArg, TResult>(Work<TArg, TResult> work, TArg arg, TaskOptions options, CancellationToken cancellationToken) =>
        Enqueue(work, arg, options, _options.MaxBatchSize, dispatch: true, cancellationToken);

    /// <summary>Queues one task; <paramref name="dispatch"/> false leaves the sending to the caller, who queues more first (Map).</summary>
    private Task<TResult> Enqueue<TArg, TResult>(Work<TArg, TResult> work, TArg arg, TaskOptions options, int maxBatch, bool dispatch, CancellationToken cancellationToken)
    {
        // Checked before the task counts: work that cannot cross by reference, or an argument that cannot be
        // serialized, fails here in the caller's thread, as on a local process executor.
        var function = _functions.GetValue(work.Original, static d => FunctionRef.For(d));
        var payload = PayloadSerializer.SerializeArgument(arg);
        AcceptTask();
        if (cancellationToken.IsCancellationRequested)
        {
            ReleaseOutstanding();
            return Task.FromCanceled<TResult>(cancellationToken);
        }

        var task = new ClusterTask<TResult>(Interlocked.Increment(ref _nextId), function, payload, options, maxBatch, cancellationToken);
        Tracker.Queued();
        _ = task.Task.ContinueWith(static (_, state) => ((ClusterExecutor)state!).ReleaseOutstanding(), this, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        lock (_gate)
        {
            task.Node = _pending.AddLast(task);
        }

        if (cancellationToken.CanBeCanceled)
        {
            task.Registration = cancellationToken.UnsafeRegister(
                static state =>
                {
                    var (executor, t) = ((ClusterExecutor, ClusterTask))state!;
                    _ = executor.Cancel(t);
                },
                (this, (ClusterTask)task));
        }

        if (dispatch)
        {
            Dispatch();
        }

        return task.Task;
    }

    // Map and MapUnordered are the base class's engines, pulling in bursts: they queue what the window lets them pull
    // before dispatching, and pull again only once the window is down to half, so that items cross the network in
    // batches rather than one by one as each result is consumed.
    private protected override bool MapPullsInBursts => true;

    private protected override Task<TResult> SubmitForMap<TArg, TResult>(Work<TArg, TResult> work, TArg arg, MapOptions options, CancellationToken cancellationToken) =>
        Enqueue(work, arg, options.Task, options.BatchSize ?? _options.MaxBatchSize, dispatch: false, cancellationToken);

    private protected override void FlushMap() => Dispatch();

    private protected override void CancelPending()
    {
        List<ClusterTask> cancelled;
        lock (_gate)
        {
            cancelled = [.. _pending];
            _pending.Clear();
            foreach (var task in cancelled)
            {
                task.Node = null;
            }
        }

        foreach (var task in cancelled)
        {
            _ = task.TryCancel(Tracker, wasRunning: false);
        }
    }

    private protected override void CancelRunning()
    {
        List<ClusterTask> running;
        lock (_gate)
        {
            running = [.. _lanes.Values.SelectMany(static l => l.Batches).SelectMany(static b => b.Tasks).Where(static t => !t.IsCompleted)];
        }

        foreach (var task in running)
        {
            _ = Cancel(task);
        }
    }

    private protected override async ValueTask StopCoreAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await Quietly.Wait(_membership).ConfigureAwait(false);
        _stop.Dispose();
    }

    /// <summary>A caller's token fired: a pending task ends here; a sent one is cancelled on its silo, which answers.</summary>
    internal bool Cancel(ClusterTask task)
    {
        SiloLane? lane = null;
        var wasPending = false;
        lock (_gate)
        {
            if (task.Node is { } node)
            {
                _pending.Remove(node);
                task.Node = null;
                wasPending = true;
            }
            else if (task.Batch is { Settled: false } batch && !task.IsCompleted)
            {
                lane = batch.Lane;
                lane.Cancels.Add(task.Id);
                if (lane.CancelSending)
                {
                    // A send is under way; it takes this id with the next round.
                    lane = null;
                }
                else
                {
                    lane.CancelSending = true;
                }
            }
        }

        if (wasPending)
        {
            _ = task.TryCancel(Tracker, wasRunning: false);
            Dispatch();
        }
        else if (lane is not null)
        {
            _ = SendCancelsAsync(lane);
        }

        return wasPending;
    }

    private async Task SendCancelsAsync(SiloLane lane)
    {
        while (true)
        {
            long[] ids;
            lock (_gate)
            {
                if (lane.Cancels.Count == 0)
                {
                    lane.CancelSending = false;
                    return;
                }

                ids = [.. lane.Cancels];
                lane.Cancels.Clear();
            }

            try
            {
                await lane.Grain.Cancel(_id, ids).ConfigureAwait(false);
            }
#pragma warning disable CA1031 // A silo that cannot be reached is found lost by its runs and by membership; its runs fail or run again there.
            catch (Exception)
#pragma warning restore CA1031
            {
            }
        }
    }

    /// <summary>Sends pending tasks to the least loaded silos that have room, in batches.</summary>
    private void Dispatch()
    {
        List<SiloBatch>? sends = null;
        lock (_gate)
        {
            while (_pending.Count > 0)
            {
                var room = _options.MaxInFlight is { } max ? max - _inFlight : int.MaxValue;
                SiloLane? lane = null;
                var open = 0;
                foreach (var candidate in _lanes.Values)
                {
                    if (candidate.TakesWork && candidate.InFlight < _options.MaxInFlightPerSilo)
                    {
                        open++;
                        if (lane is null || candidate.InFlight < lane.InFlight)
                        {
                            lane = candidate;
                        }
                    }
                }

                if (lane is null || room <= 0)
                {
                    break;
                }

                // Share what is pending among the silos with room, so that a burst does not all go to the first one;
                // within the silo's room, the cluster's room and the batch size.
                var share = (_pending.Count + open - 1) / open;
                var head = _pending.First!.Value;
                var size = Math.Min(Math.Min(share, head.MaxBatch), Math.Min(room, _options.MaxInFlightPerSilo - lane.InFlight));
                var tasks = new List<ClusterTask>(size);
                while (tasks.Count < size && _pending.First is { } node
                    && node.Value.Function == head.Function && ReferenceEquals(node.Value.Options, head.Options))
                {
                    _pending.RemoveFirst();
                    node.Value.Node = null;
                    tasks.Add(node.Value);
                }

                var batch = new SiloBatch(lane, [.. tasks]);
                foreach (var task in tasks)
                {
                    task.Batch = batch;
                    task.Attempts++;
                }

                lane.InFlight += tasks.Count;
                lane.Batches.Add(batch);
                _inFlight += tasks.Count;
                (sends ??= []).Add(batch);
            }
        }

        if (sends is null)
        {
            return;
        }

        foreach (var batch in sends)
        {
            Tracker.Started(batch.Tasks.Length);
            _ = SendAsync(batch);
        }
    }

    private async Task SendAsync(SiloBatch batch)
    {
        byte[] replies;
        try
        {
            replies = await batch.Lane.Grain.Run(batch.ToRequest(_id)).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // Whatever failed the call (the silo died, a connection dropped), the batch's tasks fail over.
        catch (Exception e)
#pragma warning restore CA1031
        {
            var reason = $"a call to it failed: {e.GetType().Name}: {e.Message}";
            if (!RecoverAfterFailedCall(batch, reason, e))
            {
                Lose(batch.Lane, [batch], reason, e, suspect: true);
            }

            return;
        }

        lock (_gate)
        {
            if (batch.Settled)
            {
                // Its silo was declared lost first and the tasks were failed or sent elsewhere: this answer is not theirs anymore.
                return;
            }

            Settle(batch);
        }

        var index = 0;
        List<ClusterTask>? stopped = null;
        foreach (var (type, body) in Frames.Read(replies))
        {
            var reply = Spindle.Processes.Protocol.ReplyMessage.Read(type, body);
            var task = batch.Tasks[index++];
            if (SiloRunner.IsStoppingReply(reply))
            {
                (stopped ??= []).Add(task);
                continue;
            }

            _ = task.TryComplete(reply, Tracker, wasRunning: true);
        }

        if (stopped is not null)
        {
            lock (_gate)
            {
                batch.Lane.Draining = true;
            }

            FailOver(batch.Lane, stopped, "it shut down while the task ran", null);
        }
        else
        {
            Dispatch();
        }
    }

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

    /// <summary>Takes a batch off its lane's books (under the lock).</summary>
    private void Settle(SiloBatch batch)
    {
        batch.Settled = true;
        batch.Lane.InFlight -= batch.Tasks.Length;
        batch.Lane.Batches.Remove(batch);
        _inFlight -= batch.Tasks.Length;
        foreach (var task in batch.Tasks)
        {
            task.Batch = null;
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

    /// <summary>Reads membership now and then: joining silos get a lane, leaving ones drain, lost ones fail over.</summary>
    private async Task WatchMembershipAsync()
    {
        var management = _client.GetGrain<IManagementGrain>(0);
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                var hosts = await management.GetHosts(onlyActive: false).WaitAsync(_stop.Token).ConfigureAwait(false);
                await ApplyMembershipAsync(hosts).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return;
            }
#pragma warning disable CA1031 // Membership cannot be read right now (a gateway is down); the next round tries again.
            catch (Exception)
#pragma warning restore CA1031
            {
            }

            try
            {
                await Task.Delay(_options.MembershipPollInterval, _stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task ApplyMembershipAsync(Dictionary<SiloAddress, SiloStatus> hosts)
    {
        var lost = new List<(SiloLane Lane, SiloStatus Status)>();
        var suspects = new List<SiloLane>();
        var added = false;
        lock (_gate)
        {
            foreach (var (address, status) in hosts)
            {
                if (status == SiloStatus.Active && !_lanes.ContainsKey(address))
                {
                    _lanes.Add(address, new SiloLane(address, _client.GetGrain<ISpindleSiloGrain>(address.ToParsableString())));
                    added = true;
                }
            }

            foreach (var lane in _lanes.Values.ToArray())
            {
                var status = hosts.TryGetValue(lane.Address, out var s) ? s : SiloStatus.Dead;
                if (status is SiloStatus.Dead or SiloStatus.None)
                {
                    _lanes.Remove(lane.Address);
                    lost.Add((lane, status));
                }
                else if (status is SiloStatus.ShuttingDown or SiloStatus.Stopping)
                {
                    lane.Draining = true;
                }
                else if (lane.Suspect)
                {
                    suspects.Add(lane);
                }
            }
        }

        foreach (var (lane, _) in lost)
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

        // A silo that failed a call but is still a member: send it work again once it answers.
        foreach (var lane in suspects)
        {
            try
            {
                await lane.Grain.Ping().WaitAsync(TimeSpan.FromSeconds(2), _stop.Token).ConfigureAwait(false);
                lock (_gate)
                {
                    lane.Suspect = false;
                }

                added = true;
            }
#pragma warning disable CA1031 // Still unreachable; membership will declare it dead, or a later ping gets through.
            catch (Exception) when (!_stop.IsCancellationRequested)
#pragma warning restore CA1031
            {
            }
        }

        if (added)
        {
            Dispatch();
        }
    }
}
