namespace Spindle.Processes.Protocol;

/// <summary>Sends messages through a sink: the one place a message meets the channel's lock.</summary>
internal static class MessageExtensions
{
    public static void Send<T>(this FrameSink sink, in T message)
        where T : struct, IMessage
    {
        var buffer = sink.BeginAppend();
        try
        {
            message.WriteTo(buffer);
        }
        finally
        {
            sink.EndAppend();
        }
    }

    /// <summary>The message alone as bytes, for a transport without a sink (and for tests).</summary>
    public static byte[] ToFrame<T>(this T message)
        where T : struct, IMessage
    {
        var buffer = new FrameBuffer(256);
        message.WriteTo(buffer);
        return buffer.Written.ToArray();
    }
}
