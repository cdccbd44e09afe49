namespace Spindle.Pipelines;

/// <summary>How a pipeline run ended: its final figures and the items its stages skipped.</summary>
/// <param name="Progress">The final figures of the run and of each stage.</param>
/// <param name="Failures">The items skipped by stages whose policy is to skip and record, in the order they failed.</param>
public sealed record PipelineResult(PipelineProgress Progress, IReadOnlyList<StageFailure> Failures);
