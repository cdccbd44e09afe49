namespace Spindle.Processes.Protocol;

/// <summary>Parent to worker, in answer to its hello: the worker is in, with the initializer to run first, if any.</summary>
internal readonly record struct WelcomeMessage(MethodRef? Initializer) : IMessage
{
    public void WriteTo(FrameBuffer buffer)
    {
        buffer.BeginFrame(FrameType.Welcome);
        buffer.WriteByte(Initializer is null ? (byte)0 : (byte)1);
        Initializer?.WriteTo(buffer);
        buffer.EndFrame();
    }

    public static WelcomeMessage Read(ReadOnlyMemory<byte> body)
    {
        var fields = new FieldReader(body);
        return new WelcomeMessage(fields.ReadByte() == 0 ? null : MethodRef.Read(ref fields));
    }
}
