namespace Spindle.Jobs;

/// <summary>GNU parallel's path transforms behind {.} {/} {//} {/.}, with Perl's exact semantics.</summary>
internal static class PathParts
{
    /// <summary>{.}: s:\.[^/.]*$:: (an empty extension counts: "a." becomes "a").</summary>
    /// <remarks>Only the last dot can start a match (any earlier one is followed by a dot), and it matches when no slash follows it.</remarks>
    public static string WithoutExtension(string value)
    {
        var dot = value.LastIndexOf('.');
        return dot >= 0 && value.IndexOf('/', dot) < 0 ? value[..dot] : value;
    }

    /// <summary>{/}: s:.*/:: (everything up to the last slash goes).</summary>
    public static string Basename(string value)
    {
        var slash = value.LastIndexOf('/');
        return slash < 0 ? value : value[(slash + 1)..];
    }

    /// <summary>{/.}: the basename without its extension.</summary>
    public static string BasenameWithoutExtension(string value) => WithoutExtension(Basename(value));

    /// <summary>{//}: Perl's File::Basename::dirname on Unix ("x" gives ".", "/r" gives "/", "a/b/" gives "a").</summary>
    public static string Dirname(string value)
    {
        var (dir, name) = FileParse(value);
        dir = StripTrailingSlashes(dir);
        if (name.Length == 0)
        {
            (dir, _) = FileParse(dir);
            dir = StripTrailingSlashes(dir);
        }

        return dir;
    }

    private static (string Dir, string Name) FileParse(string path)
    {
        var slash = path.LastIndexOf('/');
        return slash < 0 ? ("./", path) : (path[..(slash + 1)], path[(slash + 1)..]);
    }

    // Perl's s{(.)/*\z}{$1}s: trailing slashes go, but the first character always stays ("/" stays "/").
    private static string StripTrailingSlashes(string dir)
    {
        var end = dir.Length;
        while (end > 1 && dir[end - 1] == '/')
        {
            end--;
        }

        return dir[..end];
    }
}
