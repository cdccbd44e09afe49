using System.Collections.Concurrent;
using System.Reflection;

namespace Spindle.Internal;

/// <summary>
/// One piece of work in every shape the public overloads accept, normalised to a sync or an async delegate
/// that takes a token. <see cref="Original"/> is kept because a process executor sends the method by reference.
/// </summary>
internal sealed class Work<TArg, TResult>
{
    private static readonly ConcurrentDictionary<MethodInfo, WorkKind?> s_declaredKinds = new();

    private Work(Delegate original, Func<TArg, CancellationToken, TResult>? sync, Func<TArg, CancellationToken, Task<TResult>>? async)
    {
        Original = original;
        Sync = sync;
        Async = async;
    }

    public Delegate Original { get; }

    public Func<TArg, CancellationToken, TResult>? Sync { get; }

    public Func<TArg, CancellationToken, Task<TResult>>? Async { get; }

    public bool IsAsync => Async is not null;

    /// <summary>The kind declared with <see cref="WorkKindAttribute"/> on the method, if any (cached per method).</summary>
    public WorkKind? DeclaredKind =>
        s_declaredKinds.GetOrAdd(Original.Method, static m => m.GetCustomAttribute<WorkKindAttribute>()?.Kind);

    public static Work<TArg, TResult> Of(Func<TArg, TResult> work)
    {
        ArgumentNullException.ThrowIfNull(work);
        return new(work, (a, _) => work(a), null);
    }

    public static Work<TArg, TResult> Of(Func<TArg, CancellationToken, TResult> work)
    {
        ArgumentNullException.ThrowIfNull(work);
        return new(work, work, null);
    }

    public static Work<TArg, TResult> Of(Func<TArg, Task<TResult>> work)
    {
        ArgumentNullException.ThrowIfNull(work);
        return new(work, null, (a, _) => work(a));
    }

    public static Work<TArg, TResult> Of(Func<TArg, CancellationToken, Task<TResult>> work)
    {
        ArgumentNullException.ThrowIfNull(work);
        return new(work, null, work);
    }

    /// <summary>Runs the work to completion on the calling thread (async work is waited for).</summary>
    public TResult RunBlocking(TArg arg, CancellationToken token) =>
        Sync is not null ? Sync(arg, token) : Async!(arg, token).GetAwaiter().GetResult();
}
