namespace Spindle.Orleans;

/// <summary>How a silo serves Spindle work.</summary>
public sealed class SpindleSiloOptions
{
    /// <summary>
    /// How the silo runs the cluster's tasks: Threads or Processes on a hosted executor (see <see cref="ExecutorName"/>),
    /// or Auto, which chooses per task from its declared kind (<c>TaskOptions.Kind</c> or <c>[WorkKind]</c>) or from
    /// measurement, as <c>Executor.Auto()</c> does locally.
    /// </summary>
    public Technique Technique { get; set; } = Technique.Threads;

    /// <summary>The hosted executor that runs the cluster's work: null for the default one, or the name of one added with AddExecutor.</summary>
    public string? ExecutorName { get; set; }
}
