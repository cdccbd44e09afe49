namespace Spindle.Sharing;

/// <summary>What a shared segment holds, written in its header so that a handle cannot be read as something else.</summary>
internal enum SegmentKind
{
    Array = 1,
    Queue = 2,
    Lock = 3,
    Event = 4,
    Counter = 5,
}
