namespace Spindle.Pipelines;

/// <summary>One stage as a pipeline describes it, with its item types hidden so that a pipeline can hold a chain of them.</summary>
internal abstract class StageDefinition(string name, StageOptions options)
{
    public string Name { get; } = name;

    public StageOptions Options { get; } = options;

    /// <summary>
    /// Starts the stage on <paramref name="input"/> (a ChannelReader of its input type) and returns its output reader;
    /// <paramref name="discardOutput"/> drops the stage's results (the last stage of a run whose results nobody reads).
    /// </summary>
    public abstract object Start(PipelineRunState run, object input, int inputCapacity, int outputCapacity, bool discardOutput);
}
