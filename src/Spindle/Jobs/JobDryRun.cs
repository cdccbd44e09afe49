using System.Text;

namespace Spindle.Jobs;

/// <summary>--dry-run: prints each job's command (after its tag, under --tag) instead of running it.</summary>
internal static class JobDryRun
{
    /// <summary>Prints every job's command; the jobs --resume skips are counted, not printed.</summary>
    public static JobRunResult Run(ValidatedJobRun plan)
    {
        var template = plan.Template();
        var tag = JobTag.For(plan.Options);
        var skip = plan.ResumeSet();
        var stdout = plan.Options.StandardOutput ?? Console.OpenStandardOutput();
        var seq = 0L;
        var skipped = 0L;
        var text = new StringBuilder();
        foreach (var (args, stdin) in plan.Inputs(template, tag, readAll: false, out _))
        {
            stdin?.Dispose();
            seq++;
            if (skip.Contains(seq))
            {
                skipped++;
                continue;
            }

            var slot = (int)((seq - 1) % plan.Slots) + 1;
            text.Clear();
            if (tag is not null)
            {
                text.Append(tag.Text(args, seq, slot)).Append('\t');
            }

            text.Append(template.Render(args, seq, slot).Command).Append('\n');
            stdout.Write(Encoding.UTF8.GetBytes(text.ToString()));
        }

        stdout.Flush();
        return new JobRunResult { ExitStatus = 0, Started = 0, Succeeded = 0, Failed = 0, Skipped = skipped, Halted = false };
    }
}
