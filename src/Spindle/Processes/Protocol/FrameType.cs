namespace Spindle.Processes.Protocol;

/// <summary>The kinds of frame on a worker's channel. Parent to worker below 10, worker to parent from 10.</summary>
internal enum FrameType : byte
{
    Welcome = 1,
    Define = 2,
    Run = 3,
    Cancel = 4,
    Stop = 5,

    Hello = 10,
    Result = 11,
    Error = 12,
    Cancelled = 13,
}
