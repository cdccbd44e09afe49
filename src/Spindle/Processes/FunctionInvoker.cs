using System.Reflection;
using Spindle.Processes.Protocol;

namespace Spindle.Processes;

/// <summary>
/// The worker's side of work by reference: a resolved method with its argument and result types, invoked on
/// serialized payloads. One typed instance per function avoids reflection on the per-task path.
/// </summary>
internal abstract class FunctionInvoker
{
    public abstract byte[] Invoke(ReadOnlyMemory<byte> argument, CancellationToken token);

    /// <summary>
    /// Runs a batch; on the first exception returns the results before it and the error. When
    /// <paramref name="stopEarly"/> says so after an item, the batch stops there and returns fewer results than items.
    /// </summary>
    public abstract (byte[] Results, Exception? Error) InvokeBatch(ReadOnlyMemory<byte> arguments, Func<bool>? stopEarly, CancellationToken token);

    /// <summary>
    /// Finds a method by assembly and metadata token, with the object to call it on: none for a static method, the
    /// compiler's stateless singleton for a lambda that captures nothing.
    /// </summary>
    public static (MethodInfo Method, object? Target) ResolveMethod(MethodRef reference)
    {
        var (assemblyName, assemblyPath, methodToken) = reference;
        Assembly assembly;
        try
        {
            assembly = Assembly.Load(new AssemblyName(assemblyName));
        }
        catch (Exception e) when (e is FileNotFoundException or FileLoadException or BadImageFormatException)
        {
            assembly = Assembly.LoadFrom(assemblyPath);
        }

        var method = assembly.ManifestModule.ResolveMethod(methodToken) as MethodInfo
            ?? throw new InvalidOperationException($"Token {methodToken} in {assemblyName} is not a method.");
        if (method.IsStatic)
        {
            return (method, null);
        }

        var target = method.DeclaringType!.GetField("<>9", BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic)?.GetValue(null)
            ?? throw new InvalidOperationException($"'{method.DeclaringType.FullName}.{method.Name}' is an instance method; only static methods and static lambdas run in worker processes.");
        return (method, target);
    }

    /// <summary>Resolves a method from its assembly and metadata token and wraps it in a typed invoker.</summary>
    public static FunctionInvoker Resolve(MethodRef reference)
    {
        var (method, target) = ResolveMethod(reference);
        var parameters = method.GetParameters();
        var argType = parameters.Length is 1 or 2 ? parameters[0].ParameterType : throw new InvalidOperationException($"'{method.Name}' must take one argument (and optionally a CancellationToken).");
        var takesToken = parameters.Length == 2 && parameters[1].ParameterType == typeof(CancellationToken);
        if (parameters.Length == 2 && !takesToken)
        {
            throw new InvalidOperationException($"The second parameter of '{method.Name}' must be a CancellationToken.");
        }

        var returnType = method.ReturnType;
        var isAsync = returnType.IsGenericType && returnType.GetGenericTypeDefinition() == typeof(Task<>);
        var resultType = isAsync ? returnType.GetGenericArguments()[0] : returnType;
        var invokerType = typeof(FunctionInvoker<,>).MakeGenericType(argType, resultType);
        return (FunctionInvoker)Activator.CreateInstance(invokerType, method, target, takesToken, isAsync)!;
    }
}

/// <summary>A typed invoker: deserializes the argument, calls the method, serializes the result.</summary>
internal sealed class FunctionInvoker<TArg, TResult> : FunctionInvoker
{
    private readonly Func<TArg, CancellationToken, TResult> _run;

    public FunctionInvoker(MethodInfo method, object? target, bool takesToken, bool isAsync)
    {
        _run = (takesToken, isAsync) switch
        {
            (false, false) => Wrap(method.CreateDelegate<Func<TArg, TResult>>(target)),
            (true, false) => method.CreateDelegate<Func<TArg, CancellationToken, TResult>>(target),
            (false, true) => Wrap(method.CreateDelegate<Func<TArg, Task<TResult>>>(target)),
            (true, true) => Wrap(method.CreateDelegate<Func<TArg, CancellationToken, Task<TResult>>>(target)),
        };
    }

    public override byte[] Invoke(ReadOnlyMemory<byte> argument, CancellationToken token)
    {
        var arg = PayloadSerializer.Deserialize<TArg>(argument);
        return PayloadSerializer.Serialize(_run(arg, token));
    }

    public override (byte[] Results, Exception? Error) InvokeBatch(ReadOnlyMemory<byte> arguments, Func<bool>? stopEarly, CancellationToken token)
    {
        var args = PayloadSerializer.Deserialize<TArg[]>(arguments);
        var results = new TResult[args.Length];
        for (var i = 0; i < args.Length; i++)
        {
            try
            {
                results[i] = _run(args[i], token);
            }
#pragma warning disable CA1031 // The work's exception is sent to the parent with the results before it.
            catch (Exception e)
#pragma warning restore CA1031
            {
                return (PayloadSerializer.Serialize(results.AsSpan(0, i).ToArray()), e);
            }

            if (stopEarly is not null && i < args.Length - 1 && stopEarly())
            {
                // The parent sends the items after this one to another worker.
                return (PayloadSerializer.Serialize(results.AsSpan(0, i + 1).ToArray()), null);
            }
        }

        return (PayloadSerializer.Serialize(results), null);
    }

    private static Func<TArg, CancellationToken, TResult> Wrap(Func<TArg, TResult> f) => (a, _) => f(a);

    // Async work runs to completion on the worker's executor thread: a worker runs one task at a time.
    private static Func<TArg, CancellationToken, TResult> Wrap(Func<TArg, Task<TResult>> f) => (a, _) => f(a).GetAwaiter().GetResult();

    private static Func<TArg, CancellationToken, TResult> Wrap(Func<TArg, CancellationToken, Task<TResult>> f) => (a, t) => f(a, t).GetAwaiter().GetResult();
}
