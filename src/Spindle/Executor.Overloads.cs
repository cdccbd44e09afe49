using System.Diagnostics;
using System.Runtime.CompilerServices;
using Spindle.Diagnostics;
using Spindle.Internal;

namespace Spindle;

// The public shapes of work. Each overload only normalises its delegate into a Work and calls the core, so
// every executor variant implements one Submit and inherits the rest.
public abstract partial class Executor
{
    /// <summary>Runs synchronous work with one argument; the task ends with its result or its exception, unchanged.</summary>
    public Task<TResult> Submit<TArg, TResult>(Func<TArg, TResult> work, TArg arg, CancellationToken cancellationToken = default) =>
        SubmitValidated(Work<TArg, TResult>.Of(work), arg, TaskOptions.Default, cancellationToken);

    /// <summary>Runs synchronous work with one argument and per-task options.</summary>
    public Task<TResult> Submit<TArg, TResult>(Func<TArg, TResult> work, TArg arg, TaskOptions options, CancellationToken cancellationToken = default) =>
        SubmitValidated(Work<TArg, TResult>.Of(work), arg, options, cancellationToken);

    /// <summary>Runs synchronous work that observes a token with one argument; the task ends with its result or its exception, unchanged.</summary>
    public Task<TResult> Submit<TArg, TResult>(Func<TArg, CancellationToken, TResult> work, TArg arg, CancellationToken cancellationToken = default) =>
        SubmitValidated(Work<TArg, TResult>.Of(work), arg, TaskOptions.Default, cancellationToken);

    /// <summary>Runs synchronous work that observes a token with one argument and per-task options.</summary>
    public Task<TResult> Submit<TArg, TResult>(Func<TArg, CancellationToken, TResult> work, TArg arg, TaskOptions options, CancellationToken cancellationToken = default) =>
        SubmitValidated(Work<TArg, TResult>.Of(work), arg, options, cancellationToken);

    /// <summary>Runs asynchronous work with one argument; the task ends with its result or its exception, unchanged.</summary>
    public Task<TResult> Submit<TArg, TResult>(Func<TArg, Task<TResult>> work, TArg arg, CancellationToken cancellationToken = default) =>
        SubmitValidated(Work<TArg, TResult>.Of(work), arg, TaskOptions.Default, cancellationToken);

    /// <summary>Runs asynchronous work with one argument and per-task options.</summary>
    public Task<TResult> Submit<TArg, TResult>(Func<TArg, Task<TResult>> work, TArg arg, TaskOptions options, CancellationToken cancellationToken = default) =>
        SubmitValidated(Work<TArg, TResult>.Of(work), arg, options, cancellationToken);

    /// <summary>Runs asynchronous work that observes a token with one argument; the task ends with its result or its exception, unchanged.</summary>
    public Task<TResult> Submit<TArg, TResult>(Func<TArg, CancellationToken, Task<TResult>> work, TArg arg, CancellationToken cancellationToken = default) =>
        SubmitValidated(Work<TArg, TResult>.Of(work), arg, TaskOptions.Default, cancellationToken);

    /// <summary>Runs asynchronous work that observes a token with one argument and per-task options.</summary>
    public Task<TResult> Submit<TArg, TResult>(Func<TArg, CancellationToken, Task<TResult>> work, TArg arg, TaskOptions options, CancellationToken cancellationToken = default) =>
        SubmitValidated(Work<TArg, TResult>.Of(work), arg, options, cancellationToken);

    /// <summary>Runs synchronous work for each item of the source; results stream in input order, with a bounded number in flight.</summary>
    public IAsyncEnumerable<TResult> Map<TArg, TResult>(Func<TArg, TResult> work, IEnumerable<TArg> source, MapOptions? options = null, CancellationToken cancellationToken = default) =>
        MapValidated(Work<TArg, TResult>.Of(work), ToAsync(source), options, cancellationToken);

    /// <summary>Runs synchronous work for each item of the source; results stream as they complete, each paired with its input.</summary>
    public IAsyncEnumerable<(TArg Input, TResult Result)> MapUnordered<TArg, TResult>(Func<TArg, TResult> work, IEnumerable<TArg> source, MapOptions? options = null, CancellationToken cancellationToken = default) =>
        MapUnorderedValidated(Work<TArg, TResult>.Of(work), ToAsync(source), options, cancellationToken);

    /// <summary>Runs synchronous work for each item of the source; results stream in input order, with a bounded number in flight.</summary>
    public IAsyncEnumerable<TResult> Map<TArg, TResult>(Func<TArg, TResult> work, IAsyncEnumerable<TArg> source, MapOptions? options = null, CancellationToken cancellationToken = default) =>
        MapValidated(Work<TArg, TResult>.Of(work), source, options, cancellationToken);

    /// <summary>Runs synchronous work for each item of the source; results stream as they complete, each paired with its input.</summary>
    public IAsyncEnumerable<(TArg Input, TResult Result)> MapUnordered<TArg, TResult>(Func<TArg, TResult> work, IAsyncEnumerable<TArg> source, MapOptions? options = null, CancellationToken cancellationToken = default) =>
        MapUnorderedValidated(Work<TArg, TResult>.Of(work), source, options, cancellationToken);

    /// <summary>Runs synchronous work that observes a token for each item of the source; results stream in input order, with a bounded number in flight.</summary>
    public IAsyncEnumerable<TResult> Map<TArg, TResult>(Func<TArg, CancellationToken, TResult> work, IEnumerable<TArg> source, MapOptions? options = null, CancellationToken cancellationToken = default) =>
        MapValidated(Work<TArg, TResult>.Of(work), ToAsync(source), options, cancellationToken);

    /// <summary>Runs synchronous work that observes a token for each item of the source; results stream as they complete, each paired with its input.</summary>
    public IAsyncEnumerable<(TArg Input, TResult Result)> MapUnordered<TArg, TResult>(Func<TArg, CancellationToken, TResult> work, IEnumerable<TArg> source, MapOptions? options = null, CancellationToken cancellationToken = default) =>
        MapUnorderedValidated(Work<TArg, TResult>.Of(work), ToAsync(source), options, cancellationToken);

    /// <summary>Runs synchronous work that observes a token for each item of the source; results stream in input order, with a bounded number in flight.</summary>
    public IAsyncEnumerable<TResult> Map<TArg, TResult>(Func<TArg, CancellationToken, TResult> work, IAsyncEnumerable<TArg> source, MapOptions? options = null, CancellationToken cancellationToken = default) =>
        MapValidated(Work<TArg, TResult>.Of(work), source, options, cancellationToken);

    /// <summary>Runs synchronous work that observes a token for each item of the source; results stream as they complete, each paired with its input.</summary>
    public IAsyncEnumerable<(TArg Input, TResult Result)> MapUnordered<TArg, TResult>(Func<TArg, CancellationToken, TResult> work, IAsyncEnumerable<TArg> source, MapOptions? options = null, CancellationToken cancellationToken = default) =>
        MapUnorderedValidated(Work<TArg, TResult>.Of(work), source, options, cancellationToken);

    /// <summary>Runs asynchronous work for each item of the source; results stream in input order, with a bounded number in flight.</summary>
    public IAsyncEnumerable<TResult> Map<TArg, TResult>(Func<TArg, Task<TResult>> work, IEnumerable<TArg> source, MapOptions? options = null, CancellationToken cancellationToken = default) =>
        MapValidated(Work<TArg, TResult>.Of(work), ToAsync(source), options, cancellationToken);

    /// <summary>Runs asynchronous work for each item of the source; results stream as they complete, each paired with its input.</summary>
    public IAsyncEnumerable<(TArg Input, TResult Result)> MapUnordered<TArg, TResult>(Func<TArg, Task<TResult>> work, IEnumerable<TArg> source, MapOptions? options = null, CancellationToken cancellationToken = default) =>
        MapUnorderedValidated(Work<TArg, TResult>.Of(work), ToAsync(source), options, cancellationToken);

    /// <summary>Runs asynchronous work for each item of the source; results stream in input order, with a bounded number in flight.</summary>
    public IAsyncEnumerable<TResult> Map<TArg, TResult>(Func<TArg, Task<TResult>> work, IAsyncEnumerable<TArg> source, MapOptions? options = null, CancellationToken cancellationToken = default) =>
        MapValidated(Work<TArg, TResult>.Of(work), source, options, cancellationToken);

    /// <summary>Runs asynchronous work for each item of the source; results stream as they complete, each paired with its input.</summary>
    public IAsyncEnumerable<(TArg Input, TResult Result)> MapUnordered<TArg, TResult>(Func<TArg, Task<TResult>> work, IAsyncEnumerable<TArg> source, MapOptions? options = null, CancellationToken cancellationToken = default) =>
        MapUnorderedValidated(Work<TArg, TResult>.Of(work), source, options, cancellationToken);

    /// <summary>Runs asynchronous work that observes a token for each item of the source; results stream in input order, with a bounded number in flight.</summary>
    public IAsyncEnumerable<TResult> Map<TArg, TResult>(Func<TArg, CancellationToken, Task<TResult>> work, IEnumerable<TArg> source, MapOptions? options = null, CancellationToken cancellationToken = default) =>
        MapValidated(Work<TArg, TResult>.Of(work), ToAsync(source), options, cancellationToken);

    /// <summary>Runs asynchronous work that observes a token for each item of the source; results stream as they complete, each paired with its input.</summary>
    public IAsyncEnumerable<(TArg Input, TResult Result)> MapUnordered<TArg, TResult>(Func<TArg, CancellationToken, Task<TResult>> work, IEnumerable<TArg> source, MapOptions? options = null, CancellationToken cancellationToken = default) =>
        MapUnorderedValidated(Work<TArg, TResult>.Of(work), ToAsync(source), options, cancellationToken);

    /// <summary>Runs asynchronous work that observes a token for each item of the source; results stream in input order, with a bounded number in flight.</summary>
    public IAsyncEnumerable<TResult> Map<TArg, TResult>(Func<TArg, CancellationToken, Task<TResult>> work, IAsyncEnumerable<TArg> source, MapOptions? options = null, CancellationToken cancellationToken = default) =>
        MapValidated(Work<TArg, TResult>.Of(work), source, options, cancellationToken);

    /// <summary>Runs asynchronous work that observes a token for each item of the source; results stream as they complete, each paired with its input.</summary>
    public IAsyncEnumerable<(TArg Input, TResult Result)> MapUnordered<TArg, TResult>(Func<TArg, CancellationToken, Task<TResult>> work, IAsyncEnumerable<TArg> source, MapOptions? options = null, CancellationToken cancellationToken = default) =>
        MapUnorderedValidated(Work<TArg, TResult>.Of(work), source, options, cancellationToken);

    private Task<TResult> SubmitValidated<TArg, TResult>(Work<TArg, TResult> work, TArg arg, TaskOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!ReferenceEquals(options, TaskOptions.Default))
        {
            var problems = new ProblemList();
            options.Validate(problems);
            problems.ThrowIfAny("TaskOptions");
        }

        var activity = SpindleTelemetry.StartTask(this, "spindle.submit", work.Original.Method.Name, 1);
        if (activity is null)
        {
            return SubmitCore(work, arg, options, cancellationToken);
        }

        // The span is current while the task is queued, so that the work (and any span it starts) is its child.
        var previous = Activity.Current;
        Activity.Current = activity;
        try
        {
            var task = SubmitCore(work, arg, options, cancellationToken);
            SpindleTelemetry.EndWith(activity, task);
            return task;
        }
        catch (Exception e)
        {
            activity.SetStatus(ActivityStatusCode.Error, e.Message);
            activity.Dispose();
            throw;
        }
        finally
        {
            Activity.Current = previous;
        }
    }

    private IAsyncEnumerable<TResult> MapValidated<TArg, TResult>(Work<TArg, TResult> work, IAsyncEnumerable<TArg> source, MapOptions? options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        options = ValidateMapOptions(options);
        ThrowIfShutdown();
        return MapCore(work, source, options, cancellationToken);
    }

    private IAsyncEnumerable<(TArg Input, TResult Result)> MapUnorderedValidated<TArg, TResult>(Work<TArg, TResult> work, IAsyncEnumerable<TArg> source, MapOptions? options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        options = ValidateMapOptions(options);
        ThrowIfShutdown();
        return MapUnorderedCore(work, source, options, cancellationToken);
    }

    private static MapOptions ValidateMapOptions(MapOptions? options)
    {
        if (options is null || ReferenceEquals(options, MapOptions.Default))
        {
            return MapOptions.Default;
        }

        var problems = new ProblemList();
        options.Validate(problems);
        problems.ThrowIfAny("MapOptions");
        return options;
    }

    private static SyncSource<T> ToAsync<T>(IEnumerable<T> source)
    {
        ArgumentNullException.ThrowIfNull(source);
        return new SyncSource<T>(source);
    }
}
