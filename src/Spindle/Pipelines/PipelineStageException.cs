namespace Spindle.Pipelines;

/// <summary>Thrown by a fail-fast pipeline: names the stage and the item whose error ended it; the error itself is the inner exception.</summary>
public sealed class PipelineStageException : Exception
{
    internal PipelineStageException(string pipeline, string stage, object? item, bool hasItem, Exception inner, string? reason = null)
        : base(reason ?? (hasItem
            ? $"Stage '{stage}' of pipeline '{pipeline}' failed on item {Describe(item)}, so the pipeline was cancelled: {inner.Message}"
            : $"The {stage} of pipeline '{pipeline}' failed, so the pipeline was cancelled: {inner.Message}"), inner)
    {
        Pipeline = pipeline;
        Stage = stage;
        Item = item;
    }

    /// <summary>The pipeline's name.</summary>
    public string Pipeline { get; }

    /// <summary>The stage that failed; "source" or "sink" for the two ends.</summary>
    public string Stage { get; }

    /// <summary>The item the stage was given, or null when the source itself failed.</summary>
    public object? Item { get; }

    private static string Describe(object? item)
    {
        var text = item?.ToString() ?? "null";
        return text.Length <= 80 ? $"'{text}'" : $"'{text[..77]}...'";
    }
}
