namespace Spindle.Benchmarks;

/// <summary>A Stopwatch benchmark: runs its cases side by side and returns one figure (a median) per case.</summary>
public interface IHarness
{
    /// <summary>The name given on the command line: <c>harness &lt;name&gt;</c>.</summary>
    string Name { get; }

    /// <summary>Runs every case with <paramref name="repeats"/> interleaved repeats; keys are case names, values medians in seconds.</summary>
    Task<IReadOnlyDictionary<string, double>> RunAsync(int repeats, TextWriter log);
}
