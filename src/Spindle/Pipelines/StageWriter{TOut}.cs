namespace Spindle.Pipelines;

/// <summary>
/// Passes a stage's results on to its output buffer and counts them out. Whatever fits goes in under one lock, one
/// counter update per batch, without the state machine of an awaited write; only a full buffer is waited for.
/// </summary>
internal sealed class StageWriter<TOut>(StageBuffer<TOut> output, StageCounters counters)
{
    /// <summary>Writes what fits of <paramref name="results"/> from index <paramref name="from"/> without waiting; returns how many.</summary>
    public int TryWrite(StageResults<TOut> results, int from)
    {
        var written = TryWriteUncounted(results, from);
        counters.Out(written);
        return written;
    }

    /// <summary>Passes results on, in order, from index <paramref name="from"/>; waits only when the output buffer is full.</summary>
    public ValueTask WriteAsync(StageResults<TOut> results, int from, CancellationToken token)
    {
        // A stopping run passes nothing on: what the next stage would take, it would only drop.
        token.ThrowIfCancellationRequested();

        // Readers see the batch arrive at once, as its items did.
        var written = from + TryWrite(results, from);
        return written == results.Count ? ValueTask.CompletedTask : WriteRestAsync(results, written, token);
    }

    /// <summary>Passes the rest of results on from index <paramref name="from"/>, which the full output buffer could not take.</summary>
    public async ValueTask WriteRestAsync(StageResults<TOut> results, int from, CancellationToken token)
    {
        var i = from;
        while (i < results.Count)
        {
            // The buffer is full: wait for room for one, then write what else fits in one go.
            await output.Writer.WriteAsync(results.At(i), token);
            var more = TryWriteUncounted(results, i + 1);
            counters.Out(1 + more);
            i += 1 + more;
        }
    }

    private int TryWriteUncounted(StageResults<TOut> results, int from)
    {
        if (from >= results.Count)
        {
            return 0;
        }

        return results.Many is { } many ? output.TryWrite(many.AsSpan(from, results.Count - from)) : output.TryWrite(results.One!) ? 1 : 0;
    }
}
