using System.Globalization;
using Spindle.Internal;
using Spindle.Processes;

namespace Spindle.Sharing;

/// <summary>
/// The private directory that holds a process's shared segments: /dev/shm/spindle-PID-ID, mode 0700, where ID is 16
/// random bytes that every handle carries as its owner. A parent makes one (with a janitor that removes it when the
/// parent dies, even SIGKILLed) and names it to its workers; a worker makes its segments in its parent's directory,
/// so that what it creates dies with the parent too.
/// </summary>
internal sealed class SharedRoot
{
    /// <summary>The variable through which a parent names its directory to the workers it starts.</summary>
    public const string Variable = "SPINDLE_SHARED_ROOT";

    // Where this process's directory will be: named (cheaply) as soon as a worker must be told, made (with its
    // janitor) only when something is shared, so an app that never shares memory starts no janitor for it.
    private static readonly Lazy<(string Path, string Owner)> s_plan = new(PlanOwn);
    private static readonly Lazy<SharedRoot> s_own = new(CreateOwn);
    private static readonly Lazy<SharedRoot?> s_parents = new(AdoptParents);

    // Held for the life of the process: the janitor removes the directory once this process is gone.
    private readonly DirectoryJanitor? _janitor;

    private SharedRoot(string path, string owner, bool isOwn, DirectoryJanitor? janitor)
    {
        Path = path;
        Owner = owner;
        IsOwn = isOwn;
        _janitor = janitor;
    }

    public string Path { get; }

    /// <summary>The random id in the directory's name, which a handle must carry to be accepted here.</summary>
    public string Owner { get; }

    /// <summary>Whether this process made the directory (so it removes what workers made in it).</summary>
    public bool IsOwn { get; }

    /// <summary>Where this process makes new segments: its parent's directory in a worker, its own elsewhere.</summary>
    public static SharedRoot ForNewSegments => s_parents.Value ?? s_own.Value;

    /// <summary>The directory a handle's owner id names, or null when it is neither this process's nor its parent's.</summary>
    public static SharedRoot? Find(string owner)
    {
        if (s_parents.Value is { } parents && parents.Owner == owner)
        {
            return parents;
        }

        // A handle a worker made in this process's directory before this process shared anything itself.
        return s_plan.IsValueCreated && s_plan.Value.Owner == owner ? s_own.Value : null;
    }

    /// <summary>The path of this process's own directory, for a worker about to start; the directory is made on first use.</summary>
    public static string? PathForWorkers() => OperatingSystem.IsWindows() ? null : s_plan.Value.Path;

    /// <summary>In a worker whose parent died: removes the parent's directory if this worker used it.</summary>
    public static void RemoveParentsAfterItsDeath()
    {
        if (s_parents.IsValueCreated && s_parents.Value is { } parents)
        {
            try
            {
                Directory.Delete(parents.Path, recursive: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
            }
        }
    }

    private static (string Path, string Owner) PlanOwn()
    {
        var owner = SegmentName.New();
        var baseDirectory = Directory.Exists("/dev/shm") ? "/dev/shm" : System.IO.Path.GetTempPath();
        return (System.IO.Path.Combine(baseDirectory, $"spindle-{Environment.ProcessId}-{owner}"), owner);
    }

    private static SharedRoot CreateOwn()
    {
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("Shared arrays, queues and locks need mmap and futexes, available on Linux.");
        }

        var (path, owner) = s_plan.Value;
        RemoveStale(System.IO.Path.GetDirectoryName(path)!);

        // The janitor starts first: from the moment the directory exists, this process's death removes it.
        var janitor = DirectoryJanitor.Start(path);
        try
        {
            Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            janitor?.Dispose();
            throw new IOException($"The directory for shared segments '{path}' could not be created ({e.Message}); check that /dev/shm is writable.", e);
        }

        return new SharedRoot(path, owner, isOwn: true, janitor);
    }

    /// <summary>
    /// Removes the directories of processes that no longer exist. Their janitors remove them, unless the janitor died
    /// with its parent (a whole process tree SIGKILLed at once, as a test runner may do): shared memory would stay
    /// taken until reboot, so each new directory clears what such deaths left. Only this user's directories can be
    /// removed (they are 0700), and a live process's never.
    /// </summary>
    private static void RemoveStale(string baseDirectory)
    {
        try
        {
            foreach (var directory in Directory.EnumerateDirectories(baseDirectory, "spindle-*-*"))
            {
                var parts = System.IO.Path.GetFileName(directory).Split('-');
                if (parts is ["spindle", var pid, var owner]
                    && SegmentName.IsValid(owner)
                    && int.TryParse(pid, NumberStyles.None, CultureInfo.InvariantCulture, out _)
                    && !Directory.Exists($"/proc/{pid}"))
                {
                    try
                    {
                        Directory.Delete(directory, recursive: true);
                    }
                    catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                    {
                        // Another user's, or being removed by another process at the same moment.
                    }
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }

    /// <summary>
    /// A worker's parent's directory, named in the environment. It is adopted only by the process the parent started
    /// itself (its pid is in the name): a process that a task starts inherits the variable but is no worker.
    /// </summary>
    private static SharedRoot? AdoptParents()
    {
        var path = Environment.GetEnvironmentVariable(Variable);
        if (string.IsNullOrEmpty(path) || OperatingSystem.IsWindows())
        {
            return null;
        }

        var parts = System.IO.Path.GetFileName(path).Split('-');
        if (parts is not ["spindle", var pid, var owner]
            || !int.TryParse(pid, NumberStyles.None, CultureInfo.InvariantCulture, out var parentPid)
            || parentPid != Libc.GetPPid()
            || !SegmentName.IsValid(owner))
        {
            return null;
        }

        // The parent makes its directory only once it shares something itself; a worker that shares first makes it.
        // The parent adopts it (and starts its janitor) when the worker's handle reaches it; a worker whose parent
        // dies removes it as it removes the socket directory.
        try
        {
            Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        return new SharedRoot(path, owner, isOwn: false, janitor: null);
    }
}
