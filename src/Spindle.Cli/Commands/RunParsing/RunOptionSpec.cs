using System.CommandLine;

namespace Spindle.Cli.Commands.RunParsing;

/// <summary>The options of <c>spindle run</c>, with GNU parallel's names: the private parser of the options part, and what each option is called.</summary>
/// <remarks>Built only when a run has options: a bare <c>spindle run cmd ::: ...</c> then never loads System.CommandLine.</remarks>
internal sealed class RunOptionSpec
{
    public Option<string> Jobs { get; } = new("--jobs", "-j", "-P", "--max-procs");

    public Option<bool> KeepOrder { get; } = new("--keep-order", "-k");

    public Option<bool> Group { get; } = new("--group");

    public Option<bool> LineBuffer { get; } = new("--line-buffer", "--lb");

    public Option<bool> Ungroup { get; } = new("--ungroup", "-u");

    public Option<bool> Tag { get; } = new("--tag");

    public Option<string> JobLog { get; } = new("--joblog", "--jl");

    public Option<bool> Resume { get; } = new("--resume");

    public Option<bool> ResumeFailed { get; } = new("--resume-failed");

    public Option<int> Retries { get; } = new("--retries");

    public Option<string> Timeout { get; } = new("--timeout");

    public Option<string> Halt { get; } = new("--halt", "--halt-on-error");

    public Option<string> Delay { get; } = new("--delay");

    public Option<bool> DryRun { get; } = new("--dry-run", "--dryrun");

    public Option<string> Results { get; } = new("--results", "--res");

    public Option<bool> Bar { get; } = new("--bar");

    public Option<bool> Progress { get; } = new("--progress");

    public Option<bool> Eta { get; } = new("--eta");

    public Option<bool> Quote { get; } = new("--quote", "-q");

    public Option<bool> NoShell { get; } = new("--no-shell");

    public Option<bool> Null { get; } = new("--null", "-0");

    public Option<string> ColSep { get; } = new("--colsep", "-C");

    public Option<string[]> ArgFile { get; } = new("--arg-file", "-a") { AllowMultipleArgumentsPerToken = false };

    public Option<string> MaxArgs { get; } = new("--max-args", "-n");

    public Option<string> MaxReplaceArgs { get; } = new("--max-replace-args", "-N");

    public Option<string> MaxLinesL { get; } = new("-L");

    // -l's value is optional (GNU's "l:f"): RunWords supplies 1 when it has none.
    public Option<string> MaxLines { get; } = new("--max-lines", "-l");

    public Option<bool> ContextReplace { get; } = new("-X");

    public Option<bool> Multiple { get; } = new("-m");

    public Option<bool> Xargs { get; } = new("--xargs");

    public Option<string> MaxChars { get; } = new("--max-chars", "-s");

    public Option<bool> Pipe { get; } = new("--pipe", "--spreadstdin");

    public Option<bool> PipePart { get; } = new("--pipepart", "--pipe-part");

    public Option<string> Block { get; } = new("--block", "--block-size", "--blocksize");

    public Option<string> RecStart { get; } = new("--recstart");

    public Option<string> RecEnd { get; } = new("--recend");

    public Option<string> Header { get; } = new("--header");

    public Option<bool> Link { get; } = new("--link", "--xapply");

    public Option<bool> Shuffle { get; } = new("--shuf");

    public Option<string> TagString { get; } = new("--tagstring");

    public Option<string> MemFree { get; } = new("--memfree");

    public Option<string> Load { get; } = new("--load");

    public Option<bool> NoSwap { get; } = new("--noswap");

    public Option<bool> Csv { get; } = new("--csv");

    public Option<bool> Semaphore { get; } = new("--semaphore");

    public Option<bool> Plus { get; } = new("--plus");

    public Option<string[]> SshLogin { get; } = new("--sshlogin", "-S") { AllowMultipleArgumentsPerToken = false };

    public Option<string[]> SshLoginFile { get; } = new("--sshloginfile", "--slf") { AllowMultipleArgumentsPerToken = false };

    public Option<string> Ssh { get; } = new("--ssh");

    public Option<string[]> TransferFile { get; } = new("--transferfile", "--tf") { AllowMultipleArgumentsPerToken = false };

    public Option<bool> Transfer { get; } = new("--transfer");

    public Option<string[]> Return { get; } = new("--return") { AllowMultipleArgumentsPerToken = false };

    public Option<string[]> Trc { get; } = new("--trc") { AllowMultipleArgumentsPerToken = false };

    public Option<string[]> BaseFile { get; } = new("--basefile", "--bf") { AllowMultipleArgumentsPerToken = false };

    public Option<bool> Cleanup { get; } = new("--cleanup");

    public Option<bool> OnAll { get; } = new("--onall");

    public Option<bool> NonAll { get; } = new("--nonall");

    public Option<string> WorkDir { get; } = new("--workdir", "--wd");

    public Option<string> SemaphoreName { get; } = new("--id", "--semaphorename", "--semaphore-name");

    public Option<bool> Foreground { get; } = new("--fg");

    public Option<bool> Background { get; } = new("--bg");

    public Option<bool> Wait { get; } = new("--wait");

    public Option<string> SemaphoreTimeout { get; } = new("--semaphoretimeout", "--semaphore-timeout", "--st");

    public RunOptionSpec()
    {
        // A plain Command, not a RootCommand: a root adds help, version and directives, which these options do not
        // need and which cost a quarter of a trivial run's start-up to build.
        Parser = new Command("run", "spindle run options")
        {
            Jobs, KeepOrder, Group, LineBuffer, Ungroup, Tag, JobLog, Resume, ResumeFailed, Retries, Timeout, Halt,
            Delay, DryRun, Results, Bar, Progress, Eta, Quote, NoShell, Null, ColSep, ArgFile, MaxArgs, MaxReplaceArgs,
            MaxLinesL, MaxLines, ContextReplace, Multiple, Xargs, MaxChars, Pipe, PipePart, Block, RecStart, RecEnd, Header,
            Link, Shuffle, TagString, MemFree, Load, NoSwap, Csv, Semaphore, SemaphoreName, Foreground, Background, Wait,
            SemaphoreTimeout, SshLogin, SshLoginFile, Ssh, TransferFile, Transfer, Return, Trc, BaseFile, Cleanup, OnAll, NonAll,
            WorkDir, Plus,
        };
        foreach (var option in Parser.Options)
        {
            _names[option.Name] = option;
            foreach (var alias in option.Aliases)
            {
                _names[alias] = option;
            }
        }
    }

    private readonly Dictionary<string, Option> _names = new(StringComparer.Ordinal);

    public Command Parser { get; }

    public bool Knows(string name) => _names.ContainsKey(name);

    public bool TakesValue(string name) => Knows(name) && _names[name].ValueType != typeof(bool);
}
