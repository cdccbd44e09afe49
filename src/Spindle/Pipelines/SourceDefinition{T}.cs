using System.Threading.Channels;

namespace Spindle.Pipelines;

/// <summary>A source of <typeparamref name="T"/>, opened afresh by each run.</summary>
internal sealed class SourceDefinition<T>(Func<CancellationToken, IAsyncEnumerable<T>> open) : SourceDefinition
{
    public override object Start(PipelineRunState run, int capacity)
    {
        var buffer = Channel.CreateBounded<T>(new BoundedChannelOptions(capacity) { SingleReader = false, SingleWriter = true });
        run.AddPart(Task.Run(() => PumpAsync(run, buffer.Writer)));
        return buffer.Reader;
    }

    private async Task PumpAsync(PipelineRunState run, ChannelWriter<T> buffer)
    {
        var token = run.Token;
        try
        {
            // Pulled one item at a time and only when the buffer has room: the source never runs ahead of the
            // first stage by more than the buffer's capacity.
            await foreach (var item in open(token).WithCancellation(token))
            {
                run.Pulled();
                await buffer.WriteAsync(item, token);
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // The run is stopping.
        }
#pragma warning disable CA1031 // A failing source ends the run, through the run, with its error.
        catch (Exception e)
#pragma warning restore CA1031
        {
            run.Fail(new PipelineStageException(run.Name, "source", null, hasItem: false, e));
        }
        finally
        {
            buffer.TryComplete();
        }
    }
}
