using System.Reflection;
using Spindle.Processes;
using Spindle.Processes.Protocol;

namespace Spindle.Orleans;

/// <summary>
/// The silo's side of work by reference: the method a client named, resolved in this silo (the same app), as a
/// typed delegate submitted to the silo's executor. The executor then chooses threads or worker processes for it
/// exactly as it would for a local caller, since it receives the very method the client passed.
/// </summary>
internal abstract class SiloFunction
{
    /// <summary>Deserializes the argument, runs the work on the executor, serializes the result.</summary>
    public abstract Task<byte[]> RunAsync(Executor executor, ReadOnlyMemory<byte> argument, TaskOptions options, CancellationToken token);

    public static SiloFunction Resolve(MethodRef reference)
    {
        // By name only, never from the path a client sent: a silo serves its own app's code, and a path would let
        // anyone who reaches a gateway load an assembly of their choosing. (The process lane may load by path: its
        // parent is the only one who talks to a worker.)
        try
        {
            _ = Assembly.Load(new AssemblyName(reference.AssemblyName));
        }
        catch (Exception e) when (e is FileNotFoundException or FileLoadException or BadImageFormatException)
        {
            throw new InvalidOperationException($"The assembly '{reference.AssemblyName}' is not part of this silo's app; every silo must run the same build as the client.", e);
        }

        var (method, target) = FunctionInvoker.ResolveMethod(reference);
        var parameters = method.GetParameters();
        if (parameters.Length is not (1 or 2) || (parameters.Length == 2 && parameters[1].ParameterType != typeof(CancellationToken)))
        {
            throw new InvalidOperationException($"'{method.DeclaringType?.FullName}.{method.Name}' must take one argument and optionally a CancellationToken.");
        }

        var argType = parameters[0].ParameterType;
        var returnType = method.ReturnType;
        var isAsync = returnType.IsGenericType && returnType.GetGenericTypeDefinition() == typeof(Task<>);
        var resultType = isAsync ? returnType.GetGenericArguments()[0] : returnType;
        var type = typeof(SiloFunction<,>).MakeGenericType(argType, resultType);
        return (SiloFunction)Activator.CreateInstance(type, method, target, parameters.Length == 2, isAsync)!;
    }
}

/// <summary>A typed <see cref="SiloFunction"/>: one delegate of the method's own shape, so a process executor can send it on by reference.</summary>
internal sealed class SiloFunction<TArg, TResult> : SiloFunction
{
    private readonly Func<Executor, TArg, TaskOptions, CancellationToken, Task<TResult>> _submit;

    public SiloFunction(MethodInfo method, object? target, bool takesToken, bool isAsync)
    {
        _submit = (takesToken, isAsync) switch
        {
            (false, false) => Bind(method.CreateDelegate<Func<TArg, TResult>>(target)),
            (true, false) => Bind(method.CreateDelegate<Func<TArg, CancellationToken, TResult>>(target)),
            (false, true) => Bind(method.CreateDelegate<Func<TArg, Task<TResult>>>(target)),
            (true, true) => Bind(method.CreateDelegate<Func<TArg, CancellationToken, Task<TResult>>>(target)),
        };
    }

    public override async Task<byte[]> RunAsync(Executor executor, ReadOnlyMemory<byte> argument, TaskOptions options, CancellationToken token)
    {
        var arg = PayloadSerializer.Deserialize<TArg>(argument);
        var result = await _submit(executor, arg, options, token).ConfigureAwait(false);
        return PayloadSerializer.Serialize(result);
    }

    private static Func<Executor, TArg, TaskOptions, CancellationToken, Task<TResult>> Bind(Func<TArg, TResult> work) =>
        (executor, arg, options, token) => executor.Submit(work, arg, options, token);

    private static Func<Executor, TArg, TaskOptions, CancellationToken, Task<TResult>> Bind(Func<TArg, CancellationToken, TResult> work) =>
        (executor, arg, options, token) => executor.Submit(work, arg, options, token);

    private static Func<Executor, TArg, TaskOptions, CancellationToken, Task<TResult>> Bind(Func<TArg, Task<TResult>> work) =>
        (executor, arg, options, token) => executor.Submit(work, arg, options, token);

    private static Func<Executor, TArg, TaskOptions, CancellationToken, Task<TResult>> Bind(Func<TArg, CancellationToken, Task<TResult>> work) =>
        (executor, arg, options, token) => executor.Submit(work, arg, options, token);
}
