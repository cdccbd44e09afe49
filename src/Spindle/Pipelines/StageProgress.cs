namespace Spindle.Pipelines;

/// <summary>A snapshot of one stage's figures: where a pipeline's bottleneck is shows here.</summary>
/// <param name="Name">The stage's name.</param>
/// <param name="Executor">The name of the executor the stage submits to.</param>
/// <param name="Parallelism">How many items the stage runs at once, at most.</param>
/// <param name="ItemsIn">Items the stage has taken from its input buffer.</param>
/// <param name="ItemsOut">Items the stage has passed on.</param>
/// <param name="ItemsFailed">Items whose work failed every attempt (skipped or fatal).</param>
/// <param name="Retries">Attempts run again after a failure.</param>
/// <param name="Running">Tasks (items, or batches of cheap items on threads) submitted to the executor and not yet finished.</param>
/// <param name="Buffered">Items waiting in the stage's input buffer.</param>
/// <param name="BufferCapacity">The size of the stage's input buffer.</param>
/// <param name="BusyShare">The share of the stage's parallelism that was busy since the run started, from 0 to 1.</param>
/// <param name="Throughput">Items passed on per second since the run started.</param>
public readonly record struct StageProgress(
    string Name,
    string Executor,
    int Parallelism,
    long ItemsIn,
    long ItemsOut,
    long ItemsFailed,
    long Retries,
    long Running,
    int Buffered,
    int BufferCapacity,
    double BusyShare,
    double Throughput)
{
    /// <summary>How full the input buffer is, from 0 to 1; a full buffer in front of a busy stage marks the bottleneck.</summary>
    public double BufferFill => BufferCapacity == 0 ? 0 : (double)Buffered / BufferCapacity;
}
