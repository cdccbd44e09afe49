using Spindle.Internal;
namespace Spindle.Pipelines;

/// <summary>A stage from <typeparamref name="TIn"/> to <typeparamref name="TOut"/>, holding the caller's work as Submit will receive it.</summary>
internal sealed class StageDefinition<TIn, TOut>(
    string name,
    StageOptions options,
    Func<Executor, TIn, TaskOptions, CancellationToken, Task<TOut>> submit,
    Work<TIn, TOut> batchWork)
    : StageDefinition(name, options)
{
    // Built once per stage: the default instance skips Submit's per-call validation on the hot path.
    private readonly TaskOptions _taskOptions = options.Kind is null && options.Timeout is null
        ? TaskOptions.Default
        : new TaskOptions { Kind = options.Kind, Timeout = options.Timeout };

    public override object Start(PipelineRunState run, object input, int inputCapacity, int outputCapacity, bool discardOutput)
    {
        // Every part of a run hands the next the reader of a StageBuffer, whose loops wait through it.
        var reader = (StageBuffer<TIn>.BufferReader)input;
        // Written by several worker loops, and read by the next stage's loops (or the consumer).
        var output = new StageBuffer<TOut>(outputCapacity, discardOutput);
        var executor = run.ExecutorFor(Options);
        var counters = new StageCounters(Name, executor.Name, Options.ParallelismOn(executor), inputCapacity, () => reader.Count);
        run.AddStage(counters);
        // Batches are tasks that run the work on several items (and take more input themselves), which only threads
        // can run: work crossing a process boundary goes by reference, one item at a time. The thread executor hosts
        // them (IPipelineHost). A timeout is per item, which a batch could not honour. Everything else may batch.
        var batches = executor is IPipelineHost && Options.Timeout is null ? batchWork : null;
        var runner = new StageRunner<TIn, TOut>(run, Name, executor, submit, batches, _taskOptions, Options, reader.Buffer, inputCapacity, output, counters);

        // On the pool, so that whoever starts the run never runs a stage's loop inline.
        run.AddPart(Task.Run(runner.RunAsync));
        return output.Reader;
    }
}
