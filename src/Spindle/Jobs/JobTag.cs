namespace Spindle.Jobs;

/// <summary>The text a job's output lines start with, before a tab: the arguments (--tag) or --tagstring's template rendered.</summary>
internal sealed class JobTag
{
    private readonly CommandTemplate? _template;

    private JobTag(CommandTemplate? template) => _template = template;

    /// <summary>Whether a --tagstring holds {##} or {0#}, which need the number of jobs (see <see cref="SetTotal"/>).</summary>
    public bool NeedsTotal => _template is { NeedsTotal: true };

    /// <summary>The tag the options ask for, or null when output lines are not tagged.</summary>
    public static JobTag? For(JobRunOptions options)
    {
        if (!options.Tag && options.TagString is null)
        {
            return null;
        }

        return new JobTag(options.TagString is { } tagString ? new CommandTemplate([tagString], JobCommandMode.NoShell, options.Plus) : null);
    }

    /// <summary>Gives --tagstring's {##} and {0#} the number of jobs.</summary>
    public void SetTotal(long total) => _template?.Total = total;

    /// <summary>The tag of one job.</summary>
    public string Text(string[] args, long seq, int slot) => _template is null ? CommandTemplate.Tag(args) : _template.RenderText(args, seq, slot);
}
