namespace Spindle.Processes.Protocol;

/// <summary>
/// A message of the process protocol. Each message type owns its layout: one write here, one static Read beside it,
/// and no other code touches its fields. A transport carries the framed bytes: the Unix socket between a parent and
/// its workers today; any stream or datagram that keeps a frame whole could carry the same frames.
/// </summary>
internal interface IMessage
{
    /// <summary>Appends the message as one frame (header, type and fields).</summary>
    void WriteTo(FrameBuffer buffer);
}
