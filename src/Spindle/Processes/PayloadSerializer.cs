using System.Collections.Concurrent;
using MessagePack;
using MessagePack.Formatters;
using MessagePack.Resolvers;

namespace Spindle.Processes;

/// <summary>
/// Serializes arguments and results that cross the process boundary. MessagePack's contractless resolver needs
/// no attributes on user types; it never reads a type name from the wire (the types come from the method's
/// signature on both sides), and the untrusted-data settings bound depth and hash flooding.
/// </summary>
internal static class PayloadSerializer
{
    /// <summary>The options for every payload type but the plain ones (see <see cref="PlainPayload{T}"/>), made on first use.</summary>
    public static MessagePackSerializerOptions Options => Full.Options;

    // Types proven to round-trip, so the check costs one dictionary lookup after the first task.
    private static readonly ConcurrentDictionary<Type, bool> s_checked = new();

    public static byte[] Serialize<T>(T value) =>
        PlainPayload<T>.Write is { } write ? write(value) : MessagePackSerializer.Serialize(value, Options);

    public static T Deserialize<T>(ReadOnlyMemory<byte> bytes) =>
        PlainPayload<T>.Read is { } read ? read(bytes) : MessagePackSerializer.Deserialize<T>(bytes, Options);

    /// <summary>Serializes an argument at submit time; a value that cannot cross the boundary fails here, naming its type.</summary>
    public static byte[] SerializeArgument<T>(T value, string what = "argument")
    {
        byte[] bytes;
        try
        {
            bytes = Serialize(value);
            if (!s_checked.ContainsKey(typeof(T)))
            {
                // A type may serialize but not deserialize (no usable constructor); find out here, once, rather than in a worker.
                _ = Deserialize<T>(bytes);
                s_checked.TryAdd(typeof(T), true);
            }
        }
        catch (Exception e) when (e is MessagePackSerializationException or InvalidOperationException or NotSupportedException or TypeInitializationException)
        {
            throw new ArgumentException(
                $"The {what} of type '{TypeName(typeof(T))}' cannot be serialized for a worker process: {Innermost(e).Message.TrimEnd('.')}. " +
                "Pass plain data (records, classes or structs of such data, arrays, lists, dictionaries), or run the work on threads.",
                e);
        }

        return bytes;
    }

    private static Exception Innermost(Exception e)
    {
        while (e.InnerException is { } inner)
        {
            e = inner;
        }

        return e;
    }

    private static class Full
    {
        // Built from the resolver rather than from MessagePackSerializerOptions.Standard, whose standard resolver would
        // initialise the dynamic resolvers at once (see BuiltinFirstResolver).
        public static readonly MessagePackSerializerOptions Options = new MessagePackSerializerOptions(BuiltinFirstResolver.Instance)
            .WithSecurity(MessagePackSecurity.UntrustedData);
    }

    public static string TypeName(Type type) => type.IsGenericType
        ? $"{type.Name[..type.Name.IndexOf('`', StringComparison.Ordinal)]}<{string.Join(", ", type.GetGenericArguments().Select(TypeName))}>"
        : type.Name;
}

/// <summary>
/// MessagePack's contractless resolver (or, for a type not visible outside its assembly, the variant that may use
/// non-public members), reached only for types its built-in formatters do not cover. Its first
/// resolver is the built-in one, so every type gets the same formatter (and wire format) as through the contractless
/// resolver itself; but that resolver's initialisation (its dynamic code generation, which loads Reflection.Emit,
/// LINQ expressions and regular expressions) happens only once a task carries a user type, so a worker that only
/// ever sees numbers, strings and arrays of them stays smaller and starts its first task sooner.
/// </summary>
internal sealed class BuiltinFirstResolver : IFormatterResolver
{
    public static readonly BuiltinFirstResolver Instance = new();

    private BuiltinFirstResolver()
    {
    }

    public IMessagePackFormatter<T>? GetFormatter<T>() => Cache<T>.Formatter;

    /// <summary>
    /// The built-in resolver's own formatters for the types most tasks carry, reached without that resolver, whose
    /// first use creates all of its seventy-odd formatters and loads System.Private.Uri and System.Runtime.Numerics:
    /// about half of what a fresh worker compiles before its first result.
    /// </summary>
    private static object? Common(Type type) =>
        type == typeof(int) ? Int32Formatter.Instance
        : type == typeof(long) ? Int64Formatter.Instance
        : type == typeof(double) ? DoubleFormatter.Instance
        : type == typeof(float) ? SingleFormatter.Instance
        : type == typeof(bool) ? BooleanFormatter.Instance
        : type == typeof(string) ? NullableStringFormatter.Instance
        : type == typeof(byte[]) ? ByteArrayFormatter.Instance
        : type == typeof(int[]) ? Int32ArrayFormatter.Instance
        : type == typeof(long[]) ? Int64ArrayFormatter.Instance
        : type == typeof(double[]) ? DoubleArrayFormatter.Instance
        : type == typeof(string[]) ? NullableStringArrayFormatter.Instance
        : null;

    private static class Cache<T>
    {
        // The commonest types first (none of them is shared), then shared arrays, queues and locks: they cross as
        // handles wherever they appear. A type not visible outside its assembly (a record declared the ordinary way
        // is internal) cannot be reached from the contractless resolver's generated assembly; its AllowPrivate twin
        // generates code that can.
        public static readonly IMessagePackFormatter<T>? Formatter =
            (IMessagePackFormatter<T>?)Common(typeof(T))
            ?? Sharing.SharingResolver.Instance.GetFormatter<T>()
            ?? BuiltinResolver.Instance.GetFormatter<T>()
            ?? (typeof(T).IsVisible ? ContractlessStandardResolver.Instance.GetFormatter<T>() : ContractlessStandardResolverAllowPrivate.Instance.GetFormatter<T>());
    }
}
