namespace Spindle.Jobs;

/// <summary>How many arguments a job's command line takes, and how <c>{}</c> spreads them (GNU parallel's -X, -m, --xargs).</summary>
public enum JobArgumentMode
{
    /// <summary>One input per job, unless MaxArgs, MaxReplaceArgs or MaxLines say how many.</summary>
    OneInput,

    /// <summary>-X: as many as fit on one command line, spread evenly over the job slots; a word holding {} is repeated once per argument.</summary>
    ContextReplace,

    /// <summary>-m: as many as fit on one command line, spread evenly over the job slots; {} becomes all the arguments.</summary>
    Multiple,

    /// <summary>--xargs: as many as fit on one command line, not spread; {} becomes all the arguments.</summary>
    Xargs,
}
