namespace Spindle.Processes.Protocol;

/// <summary>Parent to worker: cancel a task's token if it runs, or skip it (still answering, in order) if it has not started.</summary>
internal readonly record struct CancelMessage(long TaskId) : IMessage
{
    public void WriteTo(FrameBuffer buffer)
    {
        buffer.BeginFrame(FrameType.Cancel);
        buffer.WriteInt64(TaskId);
        buffer.EndFrame();
    }

    public static CancelMessage Read(ReadOnlyMemory<byte> body) => new(new FieldReader(body).ReadInt64());
}
