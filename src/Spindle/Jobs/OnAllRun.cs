using System.Runtime.Versioning;
using System.Text;

namespace Spindle.Jobs;

/// <summary>
/// --onall and --nonall: every job (or, for --nonall, the command once with no arguments) on every sshlogin, as GNU
/// parallel runs them: -j computers at a time, one job at a time on each, in input order, the output of each computer
/// grouped together (--tag prefixes it with the sshlogin); the exit status counts the failed jobs over all computers.
/// </summary>
/// <remarks>
/// Each computer is an ordinary run of its own with one slot on that computer alone, its output captured and written
/// whole when it ends; the inputs are read once, first, since every computer needs them all.
/// </remarks>
[SupportedOSPlatform("linux")]
internal static class OnAllRun
{
    public static JobRunResult Run(ValidatedJobRun plan, CancellationToken token)
    {
        var options = plan.Options;
        var remote = plan.Remote!;
        IReadOnlyList<string[]> arguments = options.NonAll ? [[]] : [.. plan.JobArguments(plan.Template())];
        var logins = remote.Logins;
        var stdout = options.StandardOutput ?? Console.OpenStandardOutput();
        var stderr = options.StandardError ?? Console.OpenStandardError();
        // -j is how many computers at once; its N% is of the computers, so the default (100%) is all of them.
        _ = JobSlotsSpec.TryParse(options.Jobs, logins.Count, out var atOnce);
        var results = new JobRunResult?[logins.Count];
        var outputs = new (byte[] Out, byte[] Err)?[logins.Count];
        var written = 0; // with -k: how many computers' output has been written
        var writeLock = new Lock();

        Parallel.For(0, logins.Count, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, atOnce), CancellationToken = token }, i =>
        {
            var login = logins[i];
            using var outBuffer = new MemoryStream();
            using var errBuffer = new MemoryStream();
            var one = options with
            {
                OnAll = false,
                NonAll = false,
                Jobs = "1",
                KeepOrder = true,
                Tag = false,
                SshLogins = [],
                SshLoginFiles = [],
                Inputs = [],
                PresetArguments = arguments,
                PresetRemote = new RemoteHosts([(login, 1)], options),
                StandardOutput = outBuffer,
                StandardError = errBuffer,
                Progress = null,
            };
            results[i] = JobRunner.Run(one, token);
            var tag = options.Tag || options.TagString is not null ? login.Text : null;
            lock (writeLock)
            {
                outputs[i] = (Tagged(outBuffer.ToArray(), tag), Tagged(errBuffer.ToArray(), tag));
                // Computers' output in the order they finish; with -k, in the order given.
                var from = options.KeepOrder ? written : i;
                for (var next = from; next < outputs.Length && outputs[next] is { } output && (options.KeepOrder || next == i); next++)
                {
                    stdout.Write(output.Out);
                    stdout.Flush();
                    stderr.Write(output.Err);
                    stderr.Flush();
                    outputs[next] = null;
                    written = next + 1;
                }
            }
        });

        var failed = results.Sum(r => r!.Failed);
        return new JobRunResult
        {
            ExitStatus = (int)Math.Min(failed, 101),
            Started = results.Sum(r => r!.Started),
            Succeeded = results.Sum(r => r!.Succeeded),
            Failed = failed,
            Skipped = 0,
            Halted = results.Any(r => r!.Halted),
        };
    }

    // Each line prefixed with the sshlogin and a tab (--tag with --onall), or the bytes untouched.
    private static byte[] Tagged(byte[] output, string? tag)
    {
        if (tag is null || output.Length == 0)
        {
            return output;
        }

        var text = Encoding.UTF8.GetString(output);
        var lines = text.EndsWith('\n') ? text[..^1].Split('\n') : text.Split('\n');
        var tagged = new StringBuilder();
        foreach (var line in lines)
        {
            tagged.Append(tag).Append('\t').Append(line).Append('\n');
        }

        return Encoding.UTF8.GetBytes(tagged.ToString());
    }
}
