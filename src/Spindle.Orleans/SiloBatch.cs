using Spindle.Processes.Protocol;

namespace Spindle.Orleans;

/// <summary>Tasks of one function sent to one silo in one request.</summary>
internal sealed class SiloBatch(SiloLane lane, ClusterTask[] tasks)
{
    public SiloLane Lane { get; } = lane;

    public ClusterTask[] Tasks { get; } = tasks;

    /// <summary>Set under the executor's lock once the batch's tasks are dealt with (answered, or failed over); a later answer is ignored.</summary>
    public bool Settled { get; set; }

    public SiloRequest ToRequest(Guid client)
    {
        var first = Tasks[0];
        var define = new DefineMessage(first.Function.Id, first.Function.Method).ToFrame();
        var runs = new FrameBuffer(Tasks.Sum(static t => t.Payload.Length + 24));
        foreach (var task in Tasks)
        {
            new RunMessage(task.Id, first.Function.Id, IsBatch: false, TraceParent: null, task.Payload).WriteTo(runs);
        }

        return new SiloRequest(client, define, runs.Written.ToArray(), first.Options.Timeout, first.Options.Kind);
    }
}
