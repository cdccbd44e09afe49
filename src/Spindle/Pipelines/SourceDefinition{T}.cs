namespace Spindle.Pipelines;

/// <summary>A source of <typeparamref name="T"/>, opened afresh by each run.</summary>
/// <param name="open">Opens the source for a run.</param>
/// <param name="items">The same source when it is synchronous, pulled without an async iterator around it.</param>
internal sealed class SourceDefinition<T>(Func<CancellationToken, IAsyncEnumerable<T>> open, IEnumerable<T>? items = null) : SourceDefinition
{
    /// <summary>The most items a synchronous source hands over in one go.</summary>
    private const int MaxPending = 64;

    public override object Start(PipelineRunState run, int capacity, bool discard)
    {
        var buffer = new StageBuffer<T>(capacity, discard);
        run.AddPart(Task.Run(() => PumpAsync(run, buffer)));
        return buffer.Reader;
    }

    private async Task PumpAsync(PipelineRunState run, StageBuffer<T> buffer)
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
                    await buffer.Writer.WriteAsync(item, token);
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

    private static async Task PumpItemsAsync(PipelineRunState run, IEnumerable<T> items, StageBuffer<T> buffer, CancellationToken token)
    {
        // Items are handed over in small batches, one lock each, while the buffer holds at least as many as are
        // waiting to go in: the first stage then has its work in hand, so holding them back a moment costs it
        // nothing. A stage that runs short (or waits) gets each item as it is pulled. No more is pulled than the
        // buffer has room for, so the source never runs ahead by more than the buffer's capacity (and the one item
        // waiting for room, as a single write would wait).
        using var enumerator = items.GetEnumerator();
        var pending = new T[Math.Min(buffer.Capacity, MaxPending)];
        var count = 0;
        while (true)
        {
            token.ThrowIfCancellationRequested();
            if (!enumerator.MoveNext())
            {
                break;
            }

            run.Pulled();
            pending[count++] = enumerator.Current;
            if (count == pending.Length || count >= buffer.Capacity - buffer.Count || count > buffer.Count)
            {
                await WriteAsync(buffer, pending, count, token);
                count = 0;
            }
        }

        await WriteAsync(buffer, pending, count, token);
    }

    /// <summary>Writes the first <paramref name="count"/> of <paramref name="pending"/>, in order, waiting for room as needed, and clears them.</summary>
    private static async ValueTask WriteAsync(StageBuffer<T> buffer, T[] pending, int count, CancellationToken token)
    {
        var written = buffer.TryWrite(pending.AsSpan(0, count));
        while (written < count)
        {
            await buffer.Writer.WriteAsync(pending[written], token);
            written += 1 + buffer.TryWrite(pending.AsSpan(written + 1, count - written - 1));
        }

        Array.Clear(pending, 0, count);
    }
}
