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
/// Scheduling (the queue, the lanes, dispatch, replies and cancels) is here; recovery after a failed call or a lost
/// silo is in ClusterExecutor.Recovery.cs; the <see cref="MembershipWatcher"/> polls membership and hands each reading
/// to <see cref="ApplyMembershipAsync"/>.
/// </summary>
internal sealed partial class ClusterExecutor : Executor
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
        var watcher = new MembershipWatcher(client, options.MembershipPollInterval, ApplyMembershipAsync, _stop.Token);
        _membership = Task.Run(watcher.WatchAsync);
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

    /// <summary>
    /// Applies one reading of membership from the <see cref="MembershipWatcher"/>: a silo that joined gets a lane, a
    /// leaving one drains, a lost one fails over, and a suspect one is sent work again once it answers.
    /// </summary>
    private async Task ApplyMembershipAsync(SiloMembership members)
    {
        var lost = new List<SiloLane>();
        var suspects = new List<SiloLane>();
        var added = false;
        lock (_gate)
        {
            foreach (var address in members.Active)
            {
                if (!_lanes.ContainsKey(address))
                {
                    _lanes.Add(address, new SiloLane(address, _client.GetGrain<ISpindleSiloGrain>(address.ToParsableString())));
                    added = true;
                }
            }

            foreach (var lane in _lanes.Values.ToArray())
            {
                if (members.IsLost(lane.Address))
                {
                    _lanes.Remove(lane.Address);
                    lost.Add(lane);
                }
                else if (members.IsLeaving(lane.Address))
                {
                    lane.Draining = true;
                }
                else if (lane.Suspect)
                {
                    suspects.Add(lane);
                }
            }
        }

        LoseSilos(lost);
        if (await PingSuspectsAsync(suspects).ConfigureAwait(false))
        {
            added = true;
        }

        if (added)
        {
            Dispatch();
        }
    }
}
