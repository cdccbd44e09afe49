namespace Spindle.Processes.Protocol;

/// <summary>
/// Worker to parent, first: the token the parent handed over on stdin, the worker id and pid it was started as,
/// and the name of the app it is (a worker that started some other program is refused with that reason).
/// </summary>
internal readonly record struct HelloMessage(ReadOnlyMemory<byte> Token, int WorkerId, int Pid, string? App) : IMessage
{
    public const int TokenLength = 32;

    public void WriteTo(FrameBuffer buffer)
    {
        buffer.BeginFrame(FrameType.Hello);
        buffer.WriteBytes(Token.Span);
        buffer.WriteInt32(WorkerId);
        buffer.WriteInt32(Pid);
        if (App is not null)
        {
            buffer.WriteString(App);
        }

        buffer.EndFrame();
    }

    public static HelloMessage Read(ReadOnlyMemory<byte> body)
    {
        var fields = new FieldReader(body);
        var token = fields.ReadBytes(TokenLength);
        var workerId = fields.ReadInt32();
        var pid = fields.ReadInt32();

        // The app's name was added after the first version of the protocol; a hello without it is still a hello.
        var app = fields.Rest.Length > 0 ? fields.ReadString() : null;
        return new HelloMessage(token, workerId, pid, app);
    }
}
