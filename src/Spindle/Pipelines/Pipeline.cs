using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace Spindle.Pipelines;

/// <summary>Starts pipelines: a source, then stages (<see cref="Pipeline{T}.Then{TNext}(string, Func{T, TNext}, StageOptions?)"/>), then a sink or a stream of results.</summary>
/// <example>
/// <code>
/// var result = await Pipeline.From(paths, new PipelineOptions { Name = "logs" })
///     .Then("read", static (string path, CancellationToken t) => File.ReadAllTextAsync(path, t), new StageOptions { Parallelism = 8 })
///     .Then("parse", static (string text) => Summary.Parse(text), new StageOptions().OnCpu())
///     .RunAsync(summary => Console.WriteLine(summary));
/// </code>
/// </example>
public static class Pipeline
{
    /// <summary>A pipeline over the items of <paramref name="source"/>, pulled lazily, one at a time, as the first stage has room.</summary>
    public static Pipeline<T> From<T>(IEnumerable<T> source, PipelineOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        return Create(options, token => Iterate(source, token), source);
    }

    /// <summary>A pipeline over the items of <paramref name="source"/>, pulled lazily as the first stage has room.</summary>
    public static Pipeline<T> From<T>(IAsyncEnumerable<T> source, PipelineOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        return Create(options, _ => source);
    }

    /// <summary>A pipeline over the items written to a channel; it ends when the channel is completed.</summary>
    public static Pipeline<T> From<T>(ChannelReader<T> source, PipelineOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        return Create(options, source.ReadAllAsync);
    }

    /// <summary>A pipeline over the lines of each file in <paramref name="paths"/>, file after file, read asynchronously as the first stage has room.</summary>
    public static Pipeline<string> FromLines(IEnumerable<string> paths, PipelineOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(paths);
        return Create(options, token => ReadLines(paths, token));
    }

    private static Pipeline<T> Create<T>(PipelineOptions? options, Func<CancellationToken, IAsyncEnumerable<T>> open, IEnumerable<T>? items = null)
    {
        options ??= PipelineOptions.Default;
        options.Validate();
        return new Pipeline<T>(options, new SourceDefinition<T>(open, items), []);
    }

    private static async IAsyncEnumerable<T> Iterate<T>(IEnumerable<T> items, [EnumeratorCancellation] CancellationToken token)
    {
        foreach (var item in items)
        {
            token.ThrowIfCancellationRequested();
            yield return item;
        }

        await Task.CompletedTask;
    }

    private static async IAsyncEnumerable<string> ReadLines(IEnumerable<string> paths, [EnumeratorCancellation] CancellationToken token)
    {
        foreach (var path in paths)
        {
            await foreach (var line in File.ReadLinesAsync(path, token))
            {
                yield return line;
            }
        }
    }
}
