using System.Threading.Channels;

namespace Spindle.Pipelines;

/// <summary>A source of <typeparamref name="T"/>, opened afresh by each run.</summary>
/// <param name="open">Opens the source for a run.</param>
/// <param name="items">The same source when it is synchronous, pulled without an async iterator around it.</param>
internal sealed class SourceDefinition<T>(Func<CancellationToken, IAsyncEnumerable<T>> open, IEnumerable<T>? items = null) : SourceDefinition
{
    public override object Start(PipelineRunState run, int capacity, bool discard)
    {
        var buffer = new StageBuffer<T>(capacity, singleWriter: true, discard);
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
            if (items is not null)
            {
                await PumpItemsAsync(run, items, buffer, token);
            }
            else
            {
                await foreach (var item in open(token).WithCancellation(token))
                {
                    run.Pulled();
                    await buffer.WriteAsync(item, token);
                }
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

    private static async Task PumpItemsAsync(PipelineRunState run, IEnumerable<T> items, ChannelWriter<T> buffer, CancellationToken token)
    {
        // TryWrite first: while the buffer has room, an item costs no awaited write (this is the whole per-item cost
        // of a source of cheap items); a full buffer waits as the async path does.
        using var enumerator = items.GetEnumerator();
        while (true)
        {
            token.ThrowIfCancellationRequested();
            if (!enumerator.MoveNext())
            {
                return;
            }

            run.Pulled();
            var item = enumerator.Current;
            if (!buffer.TryWrite(item))
            {
                await buffer.WriteAsync(item, token);
            }
        }
    }
}
