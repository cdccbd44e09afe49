namespace Spindle.Jobs;

/// <summary>What to start for one job: a shell command line, or (when <see cref="Argv"/> is set) a program run directly.</summary>
internal sealed record JobLaunch(string Command, string[]? Argv);
