namespace Spindle.Jobs;

/// <summary>
/// Skipping the shell: a rendered command line that only names a program on PATH and its plain words is exec'd
/// directly, which saves the shell's start-up on every job; anything the shell would read differently goes to it.
/// </summary>
internal sealed class DirectExec
{
    // Shell builtins and keywords whose behaviour differs from (or lacks) a program of the same name on PATH.
    private static readonly HashSet<string> ShellOnly = new(StringComparer.Ordinal)
    {
        "echo", "printf", "test", "kill", "pwd", "cd", "exec", "exit", "export", "read", "set", "unset", "type", "ulimit",
        "umask", "wait", "command", "eval", "trap", "time", "source", "alias", "hash", "getopts", "shift", "return",
        "break", "continue", "local", "readonly", "times", "jobs", "fg", "bg", "if", "then", "else", "elif", "fi",
        "for", "while", "until", "do", "done", "case", "esac", "in", "function", "select",
    };

    // Whether a program is on PATH, looked up once per name. Slot threads render concurrently, so it is locked; a
    // plain Dictionary under a lock rather than a ConcurrentDictionary keeps System.Collections.Concurrent out of
    // `spindle run`'s start-up.
    private readonly Dictionary<string, bool> _onPath = new(StringComparer.Ordinal);

    /// <summary>The launch of a rendered shell line: its words exec'd directly when they mean only that, else the shell.</summary>
    public JobLaunch Launch(string command)
    {
        // A trailing comment (" # ..." without a newline) means nothing to the shell, so it does not stop a direct exec.
        var plain = command.AsSpan();
        var comment = command.IndexOf(" #", StringComparison.Ordinal);
        if (comment >= 0 && !command.AsSpan(comment).ContainsAny('\n', '\r'))
        {
            plain = plain[..comment];
        }

        if (IsPlainCommand(plain))
        {
            var argv = plain.ToString().Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (argv.Length > 0 && !ShellOnly.Contains(argv[0]) && IsOnPath(argv[0]))
            {
                return new JobLaunch(command, argv);
            }
        }

        return new JobLaunch(command, null);
    }

    // Characters after which a rendered shell command still means exactly "run this program with these words":
    // no quoting, expansion, globbing, redirection, comment or assignment. Such a command is exec'd directly,
    // saving the shell's start-up; anything else goes to the shell.
    // (A loop over the characters, not SearchValues, for the start-up reason given at ShellQuote.IsSafe.)
    private static bool IsPlainCommand(ReadOnlySpan<char> command)
    {
        foreach (var c in command)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '/' or ',' or ':' or '+' or '@' or '%' or ' '))
            {
                return false;
            }
        }

        return true;
    }

    private bool IsOnPath(string program)
    {
        lock (_onPath)
        {
            if (!_onPath.TryGetValue(program, out var found))
            {
                found = IsExecutableOnPath(program);
                _onPath[program] = found;
            }

            return found;
        }
    }

    private static bool IsExecutableOnPath(string program)
    {
        if (program.Contains('/', StringComparison.Ordinal))
        {
            return IsExecutable(program);
        }

        var path = Environment.GetEnvironmentVariable("PATH") ?? "/usr/local/bin:/usr/bin:/bin";
        foreach (var dir in path.Split(':'))
        {
            if (dir.Length > 0 && IsExecutable(Path.Combine(dir, program)))
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsExecutable(string file)
    {
        if (OperatingSystem.IsWindows())
        {
            return false;
        }

        try
        {
            return File.Exists(file) && (File.GetUnixFileMode(file) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0;
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }
}
