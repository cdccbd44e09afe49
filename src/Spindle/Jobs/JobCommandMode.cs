namespace Spindle.Jobs;

/// <summary>How a job's command words become a process.</summary>
public enum JobCommandMode
{
    /// <summary>The words are joined into one shell command line; arguments are shell-quoted (GNU parallel's default).</summary>
    Shell,

    /// <summary>Each word is shell-quoted as a whole, so the shell sees no special characters in the command itself (-q).</summary>
    QuoteCommand,

    /// <summary>No shell: the first word is the program, the rest its arguments, replacement strings filled in unquoted (--no-shell).</summary>
    NoShell,
}
