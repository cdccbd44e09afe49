using System.Collections.Concurrent;
using MessagePack;
using MessagePack.Resolvers;

namespace Spindle.Processes;

/// <summary>
/// Serializes arguments and results that cross the process boundary. MessagePack's contractless resolver needs
/// no attributes on user types; it never reads a type name from the wire (the types come from the method's
/// signature on both sides), and the untrusted-data settings bound depth and hash flooding.
/// </summary>
internal static class PayloadSerializer
{
    public static readonly MessagePackSerializerOptions Options = MessagePackSerializerOptions.Standard
        .WithResolver(ContractlessStandardResolver.Instance)
        .WithSecurity(MessagePackSecurity.UntrustedData);

    // Types proven to round-trip, so the check costs one dictionary lookup after the first task.
    private static readonly ConcurrentDictionary<Type, bool> s_checked = new();

    public static byte[] Serialize<T>(T value) => MessagePackSerializer.Serialize(value, Options);

    public static T Deserialize<T>(ReadOnlyMemory<byte> bytes) => MessagePackSerializer.Deserialize<T>(bytes, Options);

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
                $"The {what} of type '{TypeName(typeof(T))}' cannot be serialized for a worker process ({e.InnerException?.Message ?? e.Message}); pass plain data such as records, arrays, lists and dictionaries with public members.",
                e);
        }

        return bytes;
    }

    public static string TypeName(Type type) => type.IsGenericType
        ? $"{type.Name[..type.Name.IndexOf('`', StringComparison.Ordinal)]}<{string.Join(", ", type.GetGenericArguments().Select(TypeName))}>"
        : type.Name;
}
