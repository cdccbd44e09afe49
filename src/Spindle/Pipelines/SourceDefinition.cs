namespace Spindle.Pipelines;

/// <summary>Where a pipeline's items come from, with the item type hidden.</summary>
internal abstract class SourceDefinition
{
    /// <summary>Starts pulling the source into a new buffer and returns that buffer's reader; a <paramref name="discard"/> buffer drops what it is given (a run of no stages whose results nobody reads).</summary>
    public abstract object Start(PipelineRunState run, int capacity, bool discard);
}
