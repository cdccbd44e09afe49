using System.Globalization;

namespace Spindle.Jobs;

/// <summary>
/// One of GNU parallel's sshlogins: <c>[ncpus/]host</c>, <c>[ncpus/]user@host</c>, <c>[ncpus/]sshcommand [options] host</c>
/// (the last word is the host), or <c>:</c> for this computer.
/// </summary>
/// <param name="Text">The sshlogin without its cpu count: what --onall's --tag prints and the job log's Host column holds.</param>
/// <param name="Ssh">The ssh command line (a shell fragment) before the host; null for the local computer.</param>
/// <param name="Host">The last word: [user@]host.</param>
/// <param name="Cpus">The cpu count given as ncpus/, or null to ask the host.</param>
internal sealed record SshLogin(string Text, string? Ssh, string Host, int? Cpus)
{
    /// <summary>Whether this is <c>:</c>, the local computer, where jobs run without ssh and files are not transferred.</summary>
    public bool IsLocal => Ssh is null;

    /// <summary>The shell words that run a remote command line on this host: <c>ssh [options] host --</c>.</summary>
    public string Prefix => $"{Ssh} {Host} --";

    /// <summary>
    /// Parses one -S value (several sshlogins split on commas and newlines; ",," is a literal comma) with
    /// <paramref name="ssh"/> as the ssh command of a login that names none; returns null with a sentence naming the
    /// problem.
    /// </summary>
    public static List<SshLogin>? ParseList(string value, string ssh, out string? problem)
    {
        problem = null;
        var logins = new List<SshLogin>();
        foreach (var part in value.Replace(",,", "\u0001", StringComparison.Ordinal).Split([',', '\n']))
        {
            var text = part.Replace('\u0001', ',').Trim();
            if (text.Length == 0)
            {
                continue;
            }

            if (Parse(text, ssh, out problem) is not { } login)
            {
                return null;
            }

            logins.Add(login);
        }

        return logins;
    }

    private static SshLogin? Parse(string text, string ssh, out string? problem)
    {
        problem = null;
        int? cpus = null;
        // [ncpus/]: digits then a slash; "//usr/bin/myssh host" is an empty count before a command's absolute path.
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        if (slash >= 0 && text[..slash].All(char.IsAsciiDigit) && !text.StartsWith('@'))
        {
            if (slash > 0)
            {
                cpus = int.Parse(text[..slash], CultureInfo.InvariantCulture);
                if (cpus == 0)
                {
                    problem = $"The sshlogin '{text}' gives 0 cpus; give at least 1 (for example 4/{text[(slash + 1)..]}).";
                    return null;
                }
            }

            text = text[(slash + 1)..];
        }

        if (text.StartsWith('@'))
        {
            problem = $"The sshlogin '{text}' names a host group, which is not supported; list the hosts themselves.";
            return null;
        }

        if (text == ":")
        {
            return new SshLogin(":", null, ":", cpus);
        }

        var words = text.Split((char[])[' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
        var host = words[^1];
        if (host.Contains(':', StringComparison.Ordinal) && host.Contains('@', StringComparison.Ordinal) && host.IndexOf(':', StringComparison.Ordinal) < host.IndexOf('@', StringComparison.Ordinal))
        {
            problem = $"The sshlogin '{text}' holds a password (user:password@host), which is not supported; use a key (ssh-copy-id) or ssh-agent.";
            return null;
        }

        return new SshLogin(text, words.Length > 1 ? string.Join(' ', words[..^1]) : ssh, host, cpus);
    }

    /// <summary>The sshlogins of a --slf file: one per line, empty lines and lines starting with '#' ignored.</summary>
    public static IEnumerable<string> FileLines(string path) =>
        File.ReadAllLines(path).Select(line => line.Trim()).Where(line => line.Length > 0 && !line.StartsWith('#'));
}
