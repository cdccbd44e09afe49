namespace Spindle;

/// <summary>
/// How to start a worker when it is not this app re-executed: for example a published copy of the app. The
/// process must reach <see cref="Worker.RunIfWorker"/> (or load Spindle with startup hooks enabled).
/// </summary>
/// <param name="FileName">The executable.</param>
/// <param name="Arguments">Its arguments.</param>
public sealed record WorkerCommand(string FileName, IReadOnlyList<string> Arguments)
{
    /// <summary>Extra environment variables for the worker, applied last (they may override Spindle's own).</summary>
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();
}
