namespace Spindle;

/// <summary>How an executor runs its tasks.</summary>
public enum Technique
{
    /// <summary>Threads that share this process's memory.</summary>
    Threads,

    /// <summary>Worker processes that each own their memory.</summary>
    Processes,

    /// <summary>Chooses threads or processes per function, from its declaration or measurement.</summary>
    Auto,
}
