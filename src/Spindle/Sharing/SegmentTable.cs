namespace Spindle.Sharing;

/// <summary>
/// The segments mapped into this process, by name: each is mapped once and shared by every handle to it, so a
/// worker that gets the same array in a thousand tasks maps it once. <see cref="MappingsMade"/> counts the mmap
/// calls, which is how the tests prove that handing over an array copies nothing.
/// </summary>
internal static class SegmentTable
{
    // One lock for the table: mapping is rare (once per segment per process), so it is never contended in practice.
    private static readonly Lock s_lock = new();
    private static readonly Dictionary<string, SharedSegment> s_segments = new(StringComparer.Ordinal);
    private static long s_mappingsMade;

    public static long MappingsMade => Interlocked.Read(ref s_mappingsMade);

    /// <summary>Makes a new segment where this process makes them (its parent's directory in a worker).</summary>
    public static SharedSegment Create(SegmentKind kind, int elementSize, long length, long dataBytes)
    {
        var segment = SharedSegment.Create(SharedRoot.ForNewSegments, kind, elementSize, length, dataBytes);
        lock (s_lock)
        {
            s_segments.Add(segment.Name, segment);
            s_mappingsMade++;
        }

        return segment;
    }

    /// <summary>The segment a handle names, mapped once per process; throws a <see cref="SharedHandleException"/> saying what is wrong with it.</summary>
    public static SharedSegment Attach(string? owner, string? name, SegmentKind kind, string what)
    {
        if (!SegmentName.IsValid(name) || !SegmentName.IsValid(owner))
        {
            throw new SharedHandleException($"The handle of a {what} names segment '{name}' of owner '{owner}', which are not Spindle names (32 hexadecimal digits each); handles are made only by serializing a {what}, never by hand.");
        }

        var root = SharedRoot.Find(owner!)
            ?? throw new SharedHandleException($"The handle of a {what} names segment '{name}' of owner '{owner}', which is neither this process's nor its parent's; a {what} crosses only between the process that made it and its own worker processes.");
        lock (s_lock)
        {
            if (s_segments.TryGetValue(name!, out var known) && known.IsMapped)
            {
                return Check(known, kind, what);
            }

            // A new segment is arriving: let go of those whose owner has removed them since, so a long-lived worker
            // does not keep every array it ever saw mapped (the memory of a removed file lives while it is mapped).
            SweepRemoved();
            var segment = SharedSegment.Open(root, name!)
                ?? throw new SharedHandleException($"The handle of a {what} names segment '{name}', which does not exist any more: its owner disposed it, or the process that made it has exited. Keep a {what} undisposed until the tasks given it have finished.");
            s_segments[segment.Name] = segment;
            s_mappingsMade++;
            return Check(segment, kind, what);
        }
    }

    /// <summary>Forgets, unmaps and removes a segment: its owner's Dispose.</summary>
    public static void Remove(SharedSegment segment)
    {
        lock (s_lock)
        {
            if (s_segments.TryGetValue(segment.Name, out var known) && ReferenceEquals(known, segment))
            {
                s_segments.Remove(segment.Name);
            }
        }

        segment.Unlink();
        segment.Unmap();
    }

    private static SharedSegment Check(SharedSegment segment, SegmentKind kind, string what) => segment.Kind == kind
        ? segment
        : throw new SharedHandleException($"The handle of a {what} names segment '{segment.Name}', which holds a shared {segment.Kind.ToString().ToLowerInvariant()}; pass each shared object to work that takes its own type.");

    private static void SweepRemoved()
    {
        List<string>? removed = null;
        foreach (var (name, segment) in s_segments)
        {
            if (segment.CreatorPid != Environment.ProcessId && !File.Exists(segment.FilePath))
            {
                segment.Unmap();
                (removed ??= []).Add(name);
            }
        }

        foreach (var name in removed ?? [])
        {
            s_segments.Remove(name);
        }
    }
}
