using MessagePack;

namespace Spindle.Processes;

/// <summary>An exception as it crosses the process boundary: names and text only, never a type to instantiate.</summary>
internal sealed record RemoteError(string Type, string Message, string? StackTrace, IReadOnlyList<RemoteError> Inner)
{
    public static RemoteError From(Exception e)
    {
        var inner = e is AggregateException agg
            ? agg.InnerExceptions.Select(From).ToArray()
            : e.InnerException is { } i ? [From(i)] : [];
        return new RemoteError(e.GetType().FullName ?? e.GetType().Name, e.Message, e.StackTrace, inner);
    }

    public void Write(ref MessagePackWriter writer)
    {
        writer.WriteArrayHeader(4);
        writer.Write(Type);
        writer.Write(Message);
        writer.Write(StackTrace);
        writer.WriteArrayHeader(Inner.Count);
        foreach (var inner in Inner)
        {
            inner.Write(ref writer);
        }
    }

    public static RemoteError Read(ref MessagePackReader reader, int depth = 0)
    {
        if (depth > 32 || reader.ReadArrayHeader() != 4)
        {
            throw new InvalidDataException("A worker sent a malformed error record.");
        }

        var type = reader.ReadString() ?? "?";
        var message = reader.ReadString() ?? "";
        var stack = reader.ReadString();
        var count = reader.ReadArrayHeader();
        var inner = new RemoteError[Math.Min(count, 64)];
        for (var i = 0; i < count; i++)
        {
            var e = Read(ref reader, depth + 1);
            if (i < inner.Length)
            {
                inner[i] = e;
            }
        }

        return new RemoteError(type, message, stack, inner);
    }

    public byte[] ToBytes()
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        var writer = new MessagePackWriter(buffer);
        Write(ref writer);
        writer.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Reads an error record; bytes that are not one are a protocol violation (InvalidDataException), never another exception.</summary>
    public static RemoteError FromBytes(ReadOnlyMemory<byte> bytes)
    {
        var reader = new MessagePackReader(bytes);
        try
        {
            return Read(ref reader);
        }
        catch (Exception e) when (e is MessagePackSerializationException or EndOfStreamException or OverflowException)
        {
            throw new InvalidDataException($"A worker sent a malformed error record ({e.Message}).", e);
        }
    }
}
