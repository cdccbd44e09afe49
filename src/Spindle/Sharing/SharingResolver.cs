using MessagePack;
using MessagePack.Formatters;

namespace Spindle.Sharing;

/// <summary>
/// Formatters for the shared types, which cross a process boundary as handles. It sits first in the payload
/// serializer's resolver chain, so a shared array crosses as a handle wherever it appears: the argument itself, or a
/// member of an argument record, a list or a result.
/// </summary>
internal sealed class SharingResolver : IFormatterResolver
{
    public static readonly SharingResolver Instance = new();

    private SharingResolver()
    {
    }

    public IMessagePackFormatter<T>? GetFormatter<T>() => Cache<T>.Formatter;

    private static object? Create(Type type)
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        if (!type.IsGenericType)
        {
            return type == typeof(SharedLock) ? SharedObjectFormatter<SharedLock>.Instance
                : type == typeof(SharedEvent) ? SharedObjectFormatter<SharedEvent>.Instance
                : type == typeof(SharedCounter) ? SharedObjectFormatter<SharedCounter>.Instance
                : null;
        }

        var definition = type.GetGenericTypeDefinition();
        var formatter = definition == typeof(SharedArray<>) ? typeof(SharedArrayFormatter<>)
            : definition == typeof(SharedQueue<>) ? typeof(SharedObjectFormatter<>)
            : null;
        return formatter?.MakeGenericType(definition == typeof(SharedQueue<>) ? type : type.GetGenericArguments()[0])
            .GetField("Instance")!.GetValue(null);
    }

    private static class Cache<T>
    {
        public static readonly IMessagePackFormatter<T>? Formatter = (IMessagePackFormatter<T>?)Create(typeof(T));
    }
}
