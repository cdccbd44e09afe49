namespace Spindle.Processes.Protocol;

/// <summary>Parent to worker: everything sent has been answered; exit.</summary>
internal readonly record struct StopMessage : IMessage
{
    public void WriteTo(FrameBuffer buffer)
    {
        buffer.BeginFrame(FrameType.Stop);
        buffer.EndFrame();
    }
}
