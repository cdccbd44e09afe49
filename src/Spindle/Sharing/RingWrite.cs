namespace Spindle.Sharing;

/// <summary>The outcome of writing to a <see cref="SharedRing"/>.</summary>
internal enum RingWrite
{
    Written,
    Full,
    Completed,
}
