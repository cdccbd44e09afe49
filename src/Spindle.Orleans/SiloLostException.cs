namespace Spindle.Orleans;

/// <summary>Thrown when the silo running a task left or died before answering; names the silo.</summary>
public sealed class SiloLostException : Exception
{
    internal SiloLostException(string silo, string reason, Exception? inner = null)
        : base($"The silo {silo} was lost while it ran this task ({reason}); the task may or may not have run there. Set ClusterExecutorOptions.Retries to run such tasks again on another silo.", inner)
    {
        Silo = silo;
    }

    /// <summary>The silo that was lost, as Orleans names it (address, port and generation).</summary>
    public string Silo { get; }
}
