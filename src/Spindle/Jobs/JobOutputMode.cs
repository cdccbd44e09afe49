namespace Spindle.Jobs;

/// <summary>How the output of concurrent jobs reaches the runner's output streams.</summary>
public enum JobOutputMode
{
    /// <summary>Each job's output is written whole when it ends, never mixed with another job's (GNU parallel's default, --group).</summary>
    Group,

    /// <summary>Whole lines are written as soon as they are complete; lines of different jobs never tear (--line-buffer).</summary>
    LineBuffer,

    /// <summary>Output is written as it arrives, in whatever chunks the jobs write; lines may mix (--ungroup).</summary>
    Ungroup,
}
