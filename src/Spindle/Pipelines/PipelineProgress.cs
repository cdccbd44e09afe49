namespace Spindle.Pipelines;

/// <summary>A snapshot of a pipeline run: items pulled from the source, each stage's figures, and results waiting for the consumer.</summary>
/// <param name="Pipeline">The pipeline's name.</param>
/// <param name="Elapsed">Time since the run started.</param>
/// <param name="SourcePulled">Items pulled from the source so far.</param>
/// <param name="Stages">Each stage's figures, in pipeline order.</param>
/// <param name="ResultsBuffered">Results waiting for the consumer.</param>
public sealed record PipelineProgress(string Pipeline, TimeSpan Elapsed, long SourcePulled, IReadOnlyList<StageProgress> Stages, int ResultsBuffered)
{
    /// <summary>The stage with the highest busy share: the one to give more parallelism or a faster technique.</summary>
    public StageProgress? Bottleneck => Stages.Count == 0 ? null : Stages.MaxBy(static s => s.BusyShare);
}
