using System.Runtime.InteropServices;
using System.Text;
using Spindle.Internal;

namespace Spindle.Sharing;

/// <summary>
/// One file in a <see cref="SharedRoot"/>, mapped shared into this process. Its first page is a header (what it holds,
/// its element size and length, its maker's pid and its owner id); the data starts at the second page, so it is
/// page-aligned in every process that maps it.
/// </summary>
internal sealed unsafe class SharedSegment
{
    public const int DataOffset = 4096;

    private const uint Magic = 0x4C445053; // "SPDL"
    private const int Version = 1;

    private nint _base;

    private SharedSegment(SharedRoot root, string name, nint address, long bytes, SegmentKind kind, int elementSize, long length, int creatorPid)
    {
        Root = root;
        Name = name;
        _base = address;
        Bytes = bytes;
        Kind = kind;
        ElementSize = elementSize;
        Length = length;
        CreatorPid = creatorPid;
    }

    public SharedRoot Root { get; }

    public string Name { get; }

    public string FilePath => System.IO.Path.Combine(Root.Path, Name);

    public long Bytes { get; }

    public SegmentKind Kind { get; }

    public int ElementSize { get; }

    /// <summary>Elements for an array; capacity for a queue.</summary>
    public long Length { get; }

    public int CreatorPid { get; }

    public bool IsMapped => Volatile.Read(ref _base) != 0;

    /// <summary>The first byte after the header; throws once the segment is unmapped, rather than touching freed pages.</summary>
    public byte* Data
    {
        get
        {
            var address = Volatile.Read(ref _base);
            ObjectDisposedException.ThrowIf(address == 0, this);
            return (byte*)address + DataOffset;
        }
    }

    /// <summary>Makes, sizes and maps a new segment of <paramref name="dataBytes"/> bytes after the header.</summary>
    public static SharedSegment Create(SharedRoot root, SegmentKind kind, int elementSize, long length, long dataBytes)
    {
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("Shared arrays, queues and locks need mmap and futexes, available on Linux.");
        }

        var name = SegmentName.New();
        var bytes = DataOffset + RoundUpToPage(Math.Max(dataBytes, 1));
        var path = System.IO.Path.Combine(root.Path, name);
        nint address;
        using (var file = new FileStream(path, new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.ReadWrite,
            Share = FileShare.ReadWrite,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        }))
        {
            file.SetLength(bytes);
            address = MapShared(file.SafeFileHandle, bytes);
        }

        var header = (byte*)address;
        *(uint*)header = Magic;
        *(int*)(header + 4) = Version;
        *(int*)(header + 8) = (int)kind;
        *(int*)(header + 12) = elementSize;
        *(long*)(header + 16) = length;
        *(int*)(header + 24) = Environment.ProcessId;
        Encoding.ASCII.GetBytes(root.Owner, new Span<byte>(header + 32, SegmentName.Length));
        return new SharedSegment(root, name, address, bytes, kind, elementSize, length, Environment.ProcessId);
    }

    /// <summary>Maps an existing segment and checks its header; null when no such file exists.</summary>
    public static SharedSegment? Open(SharedRoot root, string name)
    {
        var path = System.IO.Path.Combine(root.Path, name);
        nint address;
        long bytes;
        try
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
            bytes = file.Length;
            if (bytes < DataOffset)
            {
                throw new SharedHandleException($"The shared segment '{name}' is {bytes} bytes long, shorter than its header; it was not made by Spindle.");
            }

            address = MapShared(file.SafeFileHandle, bytes);
        }
        catch (FileNotFoundException)
        {
            return null;
        }

        var header = (byte*)address;
        var owner = Encoding.ASCII.GetString(header + 32, SegmentName.Length);
        if (*(uint*)header != Magic || *(int*)(header + 4) != Version || owner != root.Owner)
        {
            _ = Libc.MUnmap(address, (nuint)bytes);
            throw new SharedHandleException($"The shared segment '{name}' has no Spindle header of owner '{root.Owner}'; it was not made by this app.");
        }

        return new SharedSegment(root, name, address, bytes, (SegmentKind)(*(int*)(header + 8)), *(int*)(header + 12), *(long*)(header + 16), *(int*)(header + 24));
    }

    /// <summary>Unmaps the segment from this process; other processes' mappings, and the file, stay.</summary>
    public void Unmap()
    {
        var address = Interlocked.Exchange(ref _base, 0);
        if (address != 0)
        {
            _ = Libc.MUnmap(address, (nuint)Bytes);
        }
    }

    /// <summary>Removes the file: no process can map it any more, and its memory is freed once the last mapping goes.</summary>
    public void Unlink()
    {
        try
        {
            File.Delete(FilePath);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }

    /// <summary>Maps a whole file read-write and shared; the mapping outlives the descriptor.</summary>
    private static nint MapShared(SafeHandle file, long bytes)
    {
        var address = Libc.MMap(0, (nuint)bytes, Libc.PROT_READ | Libc.PROT_WRITE, Libc.MAP_SHARED, (int)file.DangerousGetHandle(), 0);
        if (address == -1)
        {
            throw new IOException($"mmap of {bytes} bytes failed with errno {Marshal.GetLastPInvokeError()}; check the free space of /dev/shm ('df /dev/shm').");
        }

        return address;
    }

    private static long RoundUpToPage(long bytes) => (bytes + DataOffset - 1) / DataOffset * DataOffset;
}
