namespace Spindle.Jobs;

/// <summary>
/// Puts several inputs on one command line, as GNU parallel's CommandLine.populate does for -N, -n, -L, -X, -m and
/// --xargs: a job takes inputs until it has <c>maxCount</c> of them or the next would make the command line longer than
/// <c>maxLength</c>; with <c>spread</c> (-X, -m), the inputs left when the input ends are shared evenly among the job
/// slots instead of filling the first jobs.
/// </summary>
internal static class ArgumentGrouper
{
    /// <summary>Each job's arguments: its inputs' values, one after the other.</summary>
    /// <param name="records">The inputs, each with its columns (one per source or --colsep column).</param>
    /// <param name="maxCount">At most this many inputs per job; 0 takes one input and puts none of it on the line (GNU's -N0); null has no count limit.</param>
    /// <param name="maxLength">The command line's length limit, in UTF-8 bytes.</param>
    /// <param name="baseLength">The command line's length with no arguments.</param>
    /// <param name="cost">How many bytes an input adds to the command line.</param>
    /// <param name="spread">Share the inputs left at the end of input evenly among <paramref name="slots"/> jobs (-X, -m).</param>
    /// <param name="slots">The number of job slots.</param>
    public static IEnumerable<string[]> Group(IEnumerable<string[]> records, int? maxCount, long maxLength, long baseLength, Func<string[], long> cost, bool spread, int slots)
    {
        using var source = records.GetEnumerator();
        string[]? held = null;
        var ended = false;
        var spreadDone = !spread;
        var job = new List<string[]>();
        while (true)
        {
            job.Clear();
            var length = baseLength;
            while (maxCount is not { } max || job.Count < Math.Max(max, 1))
            {
                string[] record;
                if (held is not null)
                {
                    (record, held) = (held, null);
                }
                else if (!ended && source.MoveNext())
                {
                    record = source.Current;
                }
                else
                {
                    ended = true;
                    break;
                }

                var added = cost(record);
                if (job.Count > 0 && length + added > maxLength)
                {
                    // The input that would overflow the line starts the next job.
                    held = record;
                    break;
                }

                job.Add(record);
                length += added;
            }

            if (job.Count == 0)
            {
                yield break;
            }

            if (!spreadDone && held is null && !ended)
            {
                // GNU parallel spreads when the input is empty after a fill: look one input ahead to know.
                if (source.MoveNext())
                {
                    held = source.Current;
                }
                else
                {
                    ended = true;
                }
            }

            if (!spreadDone && ended && held is null)
            {
                // The rest of the input is all in this job: share it among the slots, ceil(n / slots) each.
                spreadDone = true;
                var share = (job.Count + slots - 1) / slots;
                for (var at = 0; at < job.Count; at += share)
                {
                    yield return Flatten(job.GetRange(at, Math.Min(share, job.Count - at)), maxCount);
                }

                yield break;
            }

            yield return Flatten(job, maxCount);
        }
    }

    private static string[] Flatten(List<string[]> job, int? maxCount)
    {
        if (maxCount == 0)
        {
            return [];
        }

        if (job.Count == 1)
        {
            return job[0];
        }

        var count = 0;
        foreach (var record in job)
        {
            count += record.Length;
        }

        var args = new string[count];
        var at = 0;
        foreach (var record in job)
        {
            record.CopyTo(args, at);
            at += record.Length;
        }

        return args;
    }
}
