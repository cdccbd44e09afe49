namespace Spindle.Processes.Protocol;

/// <summary>
/// Worker to parent, one per run and in the order of the runs: a result (for a batch, the results of its first items;
/// fewer than its items when the worker stopped it short), an error with the results before the failing item, or
/// word that the task was cancelled. Each carries the worker's resident memory and the task's run time.
/// </summary>
internal readonly record struct ReplyMessage(FrameType Type, long TaskId, long ResidentBytes, long ElapsedTicks, ReadOnlyMemory<byte> Results, ReadOnlyMemory<byte> Error) : IMessage
{
    public static ReplyMessage Result(long taskId, long residentBytes, long elapsedTicks, ReadOnlyMemory<byte> results) =>
        new(FrameType.Result, taskId, residentBytes, elapsedTicks, results, default);

    public static ReplyMessage Failure(long taskId, long residentBytes, long elapsedTicks, ReadOnlyMemory<byte> partialResults, ReadOnlyMemory<byte> error) =>
        new(FrameType.Error, taskId, residentBytes, elapsedTicks, partialResults, error);

    public static ReplyMessage Cancelled(long taskId, long residentBytes, long elapsedTicks) =>
        new(FrameType.Cancelled, taskId, residentBytes, elapsedTicks, default, default);

    public static bool IsReply(FrameType type) => type is FrameType.Result or FrameType.Error or FrameType.Cancelled;

    public void WriteTo(FrameBuffer buffer)
    {
        buffer.BeginFrame(Type);
        buffer.WriteInt64(TaskId);
        buffer.WriteInt64(ResidentBytes);
        buffer.WriteInt64(ElapsedTicks);
        if (Type == FrameType.Error)
        {
            buffer.WriteInt32(Results.Length);
            buffer.WriteBytes(Results.Span);
            buffer.WriteBytes(Error.Span);
        }
        else if (Type == FrameType.Result)
        {
            buffer.WriteBytes(Results.Span);
        }

        buffer.EndFrame();
    }

    /// <summary>Reads a reply of the given type; a frame that is not a reply, or is cut short, is a protocol violation.</summary>
    public static ReplyMessage Read(FrameType type, ReadOnlyMemory<byte> body)
    {
        if (!IsReply(type))
        {
            throw new InvalidDataException($"A frame of type {(int)type} is not a reply.");
        }

        var fields = new FieldReader(body);
        var taskId = fields.ReadInt64();
        var rss = fields.ReadInt64();
        var elapsed = fields.ReadInt64();
        return type switch
        {
            FrameType.Error => new ReplyMessage(type, taskId, rss, elapsed, fields.ReadBytes(fields.ReadInt32()), fields.Rest),
            FrameType.Result => new ReplyMessage(type, taskId, rss, elapsed, fields.Rest, default),
            _ => new ReplyMessage(type, taskId, rss, elapsed, default, default),
        };
    }
}
