namespace Spindle.Sharing;

/// <summary>A shared lock, event, counter or queue: one segment, crossing a process boundary as its handle.</summary>
internal interface ISharedObject<TSelf>
    where TSelf : class, ISharedObject<TSelf>
{
    /// <summary>What its segment's header must say it holds.</summary>
    static abstract SegmentKind Kind { get; }

    /// <summary>Its type's name in errors.</summary>
    static abstract string What { get; }

    SharedSegment Segment { get; }

    /// <summary>Wraps a segment a handle named; <paramref name="isOwner"/> when its Dispose should remove the segment.</summary>
    static abstract TSelf Attach(SharedSegment segment, bool isOwner);
}
