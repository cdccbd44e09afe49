namespace Spindle.Processes.Protocol;

/// <summary>
/// Parent to worker: run a defined function on a serialized argument (or, for a batch, on each item of a serialized
/// array), within the caller's trace if there is one (a W3C traceparent).
/// </summary>
internal readonly record struct RunMessage(long TaskId, int FunctionId, bool IsBatch, string? TraceParent, ReadOnlyMemory<byte> Payload) : IMessage
{
    private const byte Batch = 1;
    private const byte Traced = 2;

    public void WriteTo(FrameBuffer buffer)
    {
        buffer.BeginFrame(FrameType.Run);
        buffer.WriteInt64(TaskId);
        buffer.WriteInt32(FunctionId);
        buffer.WriteByte((byte)((IsBatch ? Batch : 0) | (TraceParent is null ? 0 : Traced)));
        if (TraceParent is not null)
        {
            buffer.WriteString(TraceParent);
        }

        buffer.WriteBytes(Payload.Span);
        buffer.EndFrame();
    }

    public static RunMessage Read(ReadOnlyMemory<byte> body)
    {
        var fields = new FieldReader(body);
        var taskId = fields.ReadInt64();
        var functionId = fields.ReadInt32();
        var flags = fields.ReadByte();
        var trace = (flags & Traced) != 0 ? fields.ReadString() : null;
        return new RunMessage(taskId, functionId, (flags & Batch) != 0, trace, fields.Rest);
    }
}
