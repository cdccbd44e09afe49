using System.Runtime.Versioning;
using MessagePack;
using MessagePack.Formatters;

namespace Spindle.Sharing;

/// <summary>
/// Writes a shared array as its handle — owner id, segment name, first element, length, element size — never its
/// contents; reading maps the segment (once per process) after checking every field against the segment's header.
/// </summary>
[SupportedOSPlatform("linux")]
internal sealed unsafe class SharedArrayFormatter<T> : IMessagePackFormatter<SharedArray<T>?>
    where T : unmanaged
{
    public static readonly SharedArrayFormatter<T> Instance = new();

    private static string What => $"SharedArray<{typeof(T).Name}>";

    public void Serialize(ref MessagePackWriter writer, SharedArray<T>? value, MessagePackSerializerOptions options)
    {
        if (value is null)
        {
            writer.WriteNil();
            return;
        }

        writer.WriteArrayHeader(5);
        writer.Write(value.Segment.Root.Owner);
        writer.Write(value.Segment.Name);
        writer.Write(value.Offset);
        writer.Write(value.Length);
        writer.Write(sizeof(T));
    }

    public SharedArray<T>? Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options)
    {
        if (reader.TryReadNil())
        {
            return null;
        }

        if (reader.ReadArrayHeader() != 5)
        {
            throw new SharedHandleException($"The handle of a {What} has the wrong number of fields; it was not written by Spindle.");
        }

        var owner = reader.ReadString();
        var name = reader.ReadString();
        var offset = reader.ReadInt64();
        var length = reader.ReadInt32();
        var elementSize = reader.ReadInt32();
        var segment = SegmentTable.Attach(owner, name, SegmentKind.Array, What);
        if (elementSize != sizeof(T) || segment.ElementSize != sizeof(T))
        {
            throw new SharedHandleException($"The handle of a {What} names segment '{name}', whose elements are {segment.ElementSize} bytes, not {sizeof(T)}; pass a shared array to work that takes SharedArray of the element type it was made with.");
        }

        if (offset < 0 || length < 0 || offset + length > segment.Length)
        {
            throw new SharedHandleException($"The handle of a {What} asks for {length} elements from {offset} of segment '{name}', which has {segment.Length}; it was not written by Spindle.");
        }

        // A parent that receives a whole array made by one of its workers owns it from then on: the worker's copy
        // cannot outlive the parent, and the parent decides when it is no longer needed.
        var isOwner = segment.Root.IsOwn && segment.CreatorPid != Environment.ProcessId && offset == 0 && length == segment.Length;
        return new SharedArray<T>(segment, offset, length, isOwner);
    }
}
