namespace Spindle.Web;

/// <summary>Where /heavy runs its CPU work: the comparison the web benchmark makes.</summary>
public enum HeavyMode
{
    /// <summary>On the request's own thread (a ThreadPool thread): the classic way to starve the pool.</summary>
    Inline,

    /// <summary>Through Task.Run: still the shared ThreadPool.</summary>
    TaskRun,

    /// <summary>Through the injected default Spindle executor: its CPU lane, or worker processes, per "Spindle:Technique".</summary>
    Spindle,
}
