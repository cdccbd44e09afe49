namespace Spindle.Processes.Protocol;

/// <summary>A method by reference, as it crosses the channel: its assembly's name and path, and its metadata token.</summary>
internal readonly record struct MethodRef(string AssemblyName, string AssemblyPath, int MethodToken)
{
    public void WriteTo(FrameBuffer buffer)
    {
        buffer.WriteString(AssemblyName);
        buffer.WriteString(AssemblyPath);
        buffer.WriteInt32(MethodToken);
    }

    public static MethodRef Read(ref FieldReader fields) => new(fields.ReadString(), fields.ReadString(), fields.ReadInt32());
}
