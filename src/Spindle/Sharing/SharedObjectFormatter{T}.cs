using System.Runtime.Versioning;
using MessagePack;
using MessagePack.Formatters;

namespace Spindle.Sharing;

/// <summary>Writes a shared lock, event, counter or queue as its handle (owner id and segment name); reading maps the segment once per process.</summary>
[SupportedOSPlatform("linux")]
internal sealed class SharedObjectFormatter<T> : IMessagePackFormatter<T?>
    where T : class, ISharedObject<T>
{
    public static readonly SharedObjectFormatter<T> Instance = new();

    public void Serialize(ref MessagePackWriter writer, T? value, MessagePackSerializerOptions options)
    {
        if (value is null)
        {
            writer.WriteNil();
            return;
        }

        writer.WriteArrayHeader(2);
        writer.Write(value.Segment.Root.Owner);
        writer.Write(value.Segment.Name);
    }

    public T? Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options)
    {
        if (reader.TryReadNil())
        {
            return null;
        }

        if (reader.ReadArrayHeader() != 2)
        {
            throw new SharedHandleException($"The handle of a {T.What} has the wrong number of fields; it was not written by Spindle.");
        }

        var owner = reader.ReadString();
        var name = reader.ReadString();
        var segment = SegmentTable.Attach(owner, name, T.Kind, T.What);

        // As for arrays: what a worker made and returned belongs to the parent that received it.
        return T.Attach(segment, isOwner: segment.Root.IsOwn && segment.CreatorPid != Environment.ProcessId);
    }
}
