using System.Collections.Concurrent;
using System.Reflection;
using System.Runtime.CompilerServices;

namespace Spindle.Processes;

/// <summary>
/// Work by reference: the assembly and metadata token of a static method or a non-capturing lambda, which a
/// worker process (the same app, re-executed) resolves to the same method. Closures never cross.
/// </summary>
internal sealed record FunctionRef(int Id, string AssemblyName, string AssemblyPath, int MethodToken, string DisplayName)
{
    private static readonly ConcurrentDictionary<MethodInfo, FunctionRef> s_byMethod = new();
    private static int s_nextId;

    /// <summary>Returns the reference for a delegate, or throws an ArgumentException that says what to change.</summary>
    /// <summary>The method as the protocol names it.</summary>
    public Protocol.MethodRef Method => new(AssemblyName, AssemblyPath, MethodToken);

    public static FunctionRef For(Delegate work, string member = "Submit")
    {
        var method = work.Method;
        if (work.Target is { } target && !IsStatelessLambdaHost(target))
        {
            throw new ArgumentException(DescribeCapture(target, method, member), nameof(work));
        }

        if (work.HasSingleTarget is false)
        {
            throw new ArgumentException($"The work passed to {member} is a multicast delegate; pass one static method or static lambda.", nameof(work));
        }

        return s_byMethod.GetOrAdd(method, static m => Create(m));
    }

    private static FunctionRef Create(MethodInfo method)
    {
        var name = $"{method.DeclaringType?.FullName}.{method.Name}";
        if (method.IsGenericMethod || method.DeclaringType is { ContainsGenericParameters: true } || method.DeclaringType?.IsGenericType == true)
        {
            throw new ArgumentException($"The work '{name}' is generic or declared inside a generic type, which a worker process cannot resolve; move it to a static method of a non-generic class.");
        }

        var assembly = method.Module.Assembly;
        if (assembly.IsDynamic || string.IsNullOrEmpty(assembly.Location))
        {
            throw new ArgumentException($"The work '{name}' lives in an assembly without a file ({assembly.GetName().Name}), which a worker process cannot load; move it to a compiled assembly.");
        }

        return new FunctionRef(Interlocked.Increment(ref s_nextId), assembly.FullName!, assembly.Location, method.MetadataToken, name);
    }

    /// <summary>
    /// A lambda that captures nothing is compiled to an instance method of a cached singleton ("&lt;&gt;c.&lt;&gt;9");
    /// that target carries no state, so the lambda can be re-created in the worker.
    /// </summary>
    internal static bool IsStatelessLambdaHost(object target)
    {
        var type = target.GetType();
        if (!type.IsDefined(typeof(CompilerGeneratedAttribute), inherit: false))
        {
            return false;
        }

        var singleton = type.GetField("<>9", BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic);
        return singleton is not null && ReferenceEquals(singleton.GetValue(null), target);
    }

    private static string DescribeCapture(object target, MethodInfo method, string member)
    {
        var type = target.GetType();
        if (type.IsDefined(typeof(CompilerGeneratedAttribute), inherit: false))
        {
            var captured = CapturedNames(method, type);
            if (captured.Length > 0)
            {
                var names = string.Join("', '", captured);
                return captured.Length == 1
                    ? $"The lambda passed to {member} captures '{names}'; pass it as the argument instead (work crosses to a worker process by reference, never by closure)."
                    : $"The lambda passed to {member} captures '{names}'; pass them as the argument instead, for example as a record (work crosses to a worker process by reference, never by closure).";
            }
        }

        return $"The work passed to {member} is the instance method '{type.Name}.{method.Name}', which carries its object's state; make it static and pass that state as the argument.";
    }

    /// <summary>
    /// The variables a closure method reads: the closure fields its IL loads. A display class holds every variable
    /// captured in its scope, so naming only the ones this lambda uses makes the error point at the right one.
    /// </summary>
    private static string[] CapturedNames(MethodInfo method, Type closure)
    {
        var all = closure.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic);
        var used = new List<FieldInfo>();
        var il = method.GetMethodBody()?.GetILAsByteArray() ?? [];
        for (var i = 0; i + 4 < il.Length; i++)
        {
            // ldfld (0x7B) and ldflda (0x7C) take a field token; operand bytes that happen to look like one
            // resolve to no field of this closure and are skipped.
            if (il[i] is not (0x7B or 0x7C))
            {
                continue;
            }

            try
            {
                if (method.Module.ResolveField(BitConverter.ToInt32(il, i + 1)) is { } field && all.Contains(field) && !used.Contains(field))
                {
                    used.Add(field);
                }
            }
            catch (ArgumentException)
            {
            }
        }

        var fields = used.Count > 0 ? used : [.. all];
        return [.. fields.SelectMany(f => f.Name.StartsWith("<>8__", StringComparison.Ordinal)
                ? f.FieldType.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic).Select(static n => n.Name)
                : [f.Name])
            .Select(static n => n.Contains("__this", StringComparison.Ordinal) ? "this" : n)
            .Distinct()];
    }
}
