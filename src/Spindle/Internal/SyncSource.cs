namespace Spindle.Internal;

/// <summary>
/// A synchronous source seen as an async one, pulled lazily one item per MoveNextAsync (so Map's in-flight bound
/// holds for it too). A plain class rather than an async iterator: every MoveNextAsync completes synchronously,
/// and this costs a virtual call per item instead of a state machine step.
/// </summary>
internal sealed class SyncSource<T>(IEnumerable<T> items) : IAsyncEnumerable<T>
{
    public IAsyncEnumerator<T> GetAsyncEnumerator(CancellationToken cancellationToken = default) =>
        new Enumerator(items.GetEnumerator(), cancellationToken);

    private sealed class Enumerator(IEnumerator<T> inner, CancellationToken cancellationToken) : IAsyncEnumerator<T>
    {
        public T Current => inner.Current;

        public ValueTask<bool> MoveNextAsync()
        {
            cancellationToken.ThrowIfCancellationRequested();
            return new ValueTask<bool>(inner.MoveNext());
        }

        public ValueTask DisposeAsync()
        {
            inner.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
