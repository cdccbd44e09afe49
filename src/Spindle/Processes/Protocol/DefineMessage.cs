namespace Spindle.Processes.Protocol;

/// <summary>Parent to worker, once per function and worker: the number by which later runs name the method.</summary>
internal readonly record struct DefineMessage(int FunctionId, MethodRef Method) : IMessage
{
    public void WriteTo(FrameBuffer buffer)
    {
        buffer.BeginFrame(FrameType.Define);
        buffer.WriteInt32(FunctionId);
        Method.WriteTo(buffer);
        buffer.EndFrame();
    }

    public static DefineMessage Read(ReadOnlyMemory<byte> body)
    {
        var fields = new FieldReader(body);
        var id = fields.ReadInt32();
        return new DefineMessage(id, MethodRef.Read(ref fields));
    }
}
