using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Spindle.Jobs;

/// <summary>
/// -S/--sshlogin: which host each job slot runs on, and the shell line that runs a job there the way GNU parallel
/// does, with the real ssh and rsync: transfer the job's files (--transferfile), run the command in the work dir
/// (--workdir), fetch its results (--return), remove both (--cleanup), and exit with the command's status.
/// </summary>
/// <remarks>
/// A remote job is one local shell line, so it is started, timed out, killed, logged and output-grouped like any other
/// job: what the user sees is ssh's exit status and output, which are the remote command's. As in GNU parallel, the
/// transfer is followed by the command even when it failed (the command then reports the missing file).
/// </remarks>
internal sealed class RemoteHosts
{
    private readonly SshLogin[] _slotLogins;
    private readonly CommandTemplate[] _transfers;
    private readonly CommandTemplate[] _returns;
    private readonly CommandTemplate? _workDir;
    private readonly bool _cleanup;
    private readonly string? _workDirText;

    /// <param name="logins">The sshlogins with their job slot counts.</param>
    /// <param name="options">The run's --transferfile, --return, --cleanup, --basefile and --workdir.</param>
    public RemoteHosts(IReadOnlyList<(SshLogin Login, int Slots)> logins, JobRunOptions options)
    {
        Logins = [.. logins.Select(l => l.Login)];
        // Slots go to the hosts in turn (A B A B A ...) as long as each has any left, so that the first jobs spread over
        // every host rather than filling the first one, as GNU parallel starts them.
        var slots = new List<SshLogin>();
        var left = logins.Select(l => l.Slots).ToArray();
        while (left.Any(n => n > 0))
        {
            for (var i = 0; i < left.Length; i++)
            {
                if (left[i]-- > 0)
                {
                    slots.Add(logins[i].Login);
                }
            }
        }

        _slotLogins = [.. slots];
        _transfers = [.. options.TransferFiles.Select(f => new CommandTemplate([f], JobCommandMode.NoShell))];
        _returns = [.. options.ReturnFiles.Select(f => new CommandTemplate([f], JobCommandMode.NoShell))];
        _cleanup = options.Cleanup;
        _workDirText = options.WorkDir;
        _workDir = options.WorkDir is { } wd && wd != "..." ? new CommandTemplate([wd == "." ? CurrentDirFromHome() : wd], JobCommandMode.NoShell) : null;
        BaseFiles = options.BaseFiles;
    }

    /// <summary>Every sshlogin, in the order given.</summary>
    public IReadOnlyList<SshLogin> Logins { get; }

    /// <summary>The files sent to every remote host before its first job (--basefile).</summary>
    public IReadOnlyList<string> BaseFiles { get; }

    /// <summary>How many job slots there are over all hosts.</summary>
    public int Slots => _slotLogins.Length;

    /// <summary>The sshlogin that job slot <paramref name="slot"/> (1-based) runs on.</summary>
    public SshLogin LoginOf(int slot) => _slotLogins[(slot - 1) % _slotLogins.Length];

    /// <summary>The local shell line that runs <paramref name="launch"/> as job <paramref name="seq"/> on slot <paramref name="slot"/>'s host.</summary>
    public JobLaunch Wrap(JobLaunch launch, IReadOnlyList<string> args, long seq, int slot)
    {
        var login = LoginOf(slot);
        if (login.IsLocal)
        {
            return launch;
        }

        var workDir = WorkDir(args, seq, slot);
        var transfers = _transfers.Select(t => t.RenderText(args, seq, slot)).Where(f => f.Length > 0).ToList();
        var returns = _returns.Select(t => t.RenderText(args, seq, slot)).Where(f => f.Length > 0).ToList();
        var line = new StringBuilder();
        foreach (var file in transfers)
        {
            line.Append(TransferLine(login, file, workDir)).Append(';');
        }

        var script = new StringBuilder();
        script.Append(CultureInfo.InvariantCulture, $"PARALLEL_SEQ={seq};export PARALLEL_SEQ;PARALLEL_JOBSLOT={slot};export PARALLEL_JOBSLOT;");
        script.Append("PARALLEL_SSHLOGIN=").Append(ShellQuote.Quote(login.Text)).Append(";export PARALLEL_SSHLOGIN;");
        if (workDir != ".")
        {
            script.Append("mkdir -p ").Append(ShellQuote.Quote(workDir)).Append(" && cd ").Append(ShellQuote.Quote(workDir)).Append(" || exit 255;");
        }

        script.Append(launch.Command);
        line.Append(login.Prefix).Append(' ').Append(ShellQuote.Quote(script.ToString())).Append(";_EXIT_status=$?;");
        foreach (var file in returns)
        {
            line.Append(ReturnLine(login, file, workDir)).Append(';');
        }

        if (_cleanup && (transfers.Count > 0 || returns.Count > 0 || _workDirText == "..."))
        {
            line.Append(CleanupLine(login, workDir, [.. transfers, .. returns], removeWorkDir: _workDirText == "...")).Append(';');
        }

        line.Append("exit $_EXIT_status");
        return new JobLaunch(line.ToString(), null);
    }

    /// <summary>Sends the --basefile files to every remote host; returns a warning per failure.</summary>
    public IEnumerable<string> SendBaseFiles(CancellationToken token)
    {
        if (BaseFiles.Count == 0)
        {
            return [];
        }

        var workDir = BaseWorkDir;
        var lines = Logins.Where(l => !l.IsLocal).Distinct().Select(login => (login, string.Join(" && ", BaseFiles.Select(f => TransferLine(login, f, workDir)))));
        return RunAll(lines, "could not send the --basefile files to", token);
    }

    /// <summary>Removes the --basefile files from every remote host (--cleanup); returns a warning per failure.</summary>
    public IEnumerable<string> RemoveBaseFiles(CancellationToken token)
    {
        if (BaseFiles.Count == 0 || !_cleanup)
        {
            return [];
        }

        var lines = Logins.Where(l => !l.IsLocal).Distinct().Select(login => (login, CleanupLine(login, BaseWorkDir, BaseFiles, removeWorkDir: false)));
        return RunAll(lines, "could not remove the --basefile files from", token);
    }

    // Base files go to the work dir when it is one fixed folder, else to the login dir.
    private string BaseWorkDir => _workDir is not null && !_workDir.HasReplacement ? _workDir.RenderText([], 0, 0) : ".";

    private static List<string> RunAll(IEnumerable<(SshLogin Login, string Line)> lines, string what, CancellationToken token)
    {
        var warnings = new List<string>();
        foreach (var (login, line) in lines)
        {
            var (status, error) = RunLine(line, token);
            if (status != 0)
            {
                warnings.Add($"spindle: Warning: {what} {login.Text} (exit {status}){(error.Length > 0 ? ": " + error : "")}.\n");
            }
        }

        return warnings;
    }

    /// <summary>Asks a host how many cpus it has (for -j N%, +N, -N); null when it cannot be reached, with ssh's last error line.</summary>
    public static int? AskCpus(SshLogin login, out string error)
    {
        var (status, text) = RunLine($"{login.Prefix} {ShellQuote.Quote("nproc 2>/dev/null || getconf _NPROCESSORS_ONLN")}", CancellationToken.None, stdout: true);
        error = status == 0 ? "" : text;
        return status == 0 && int.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var cpus) && cpus > 0 ? cpus : null;
    }

    // Runs one shell line to its end (at most a minute); returns its status and its last stderr line (or its stdout).
    private static (int Status, string Text) RunLine(string line, CancellationToken token, bool stdout = false)
    {
        var start = new ProcessStartInfo("/bin/sh") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(line);
        using var process = Process.Start(start)!;
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync(token);
        var error = process.StandardError.ReadToEndAsync(token);
        if (!process.WaitForExit(TimeSpan.FromMinutes(1)))
        {
            process.Kill(entireProcessTree: true);
            return (255, "timed out after a minute");
        }

        var text = stdout && process.ExitCode == 0 ? output.Result : error.Result.Trim().Split('\n')[^1];
        return (process.ExitCode, text);
    }

    private string WorkDir(IReadOnlyList<string> args, long seq, int slot)
    {
        if (_workDirText == "...")
        {
            // GNU parallel's "...": a fresh folder per job under ~/.parallel/tmp, removed by --cleanup.
            return string.Create(CultureInfo.InvariantCulture, $".parallel/tmp/spindle-{Environment.ProcessId}-{seq}");
        }

        return _workDir?.RenderText(args, seq, slot) is { Length: > 0 } dir ? dir : ".";
    }

    // --workdir .: the current folder, as a path relative to the home folder when it is beneath it (so that it means
    // the same place on a host where home is elsewhere).
    private static string CurrentDirFromHome()
    {
        var current = Environment.CurrentDirectory;
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        return home.Length > 0 && current.StartsWith(home.TrimEnd('/') + "/", StringComparison.Ordinal) ? current[(home.TrimEnd('/').Length + 1)..] : current;
    }

    // GNU parallel's transfer: rsync -R keeps the path (the part after /./ if any) under the work dir; an absolute path
    // without /./ lands at the same absolute path.
    private static string TransferLine(SshLogin login, string file, string workDir)
    {
        var (local, destination) = file.Contains("/./", StringComparison.Ordinal) ? (file, workDir)
            : file.StartsWith('/') ? (file, "/")
            : ("./" + file, workDir);
        // ssh reads its stdin even for mkdir: </dev/null keeps a --pipe chunk for the job itself.
        return $"{login.Prefix} mkdir -p {ShellQuote.Quote(workDir)} </dev/null && rsync -rlDzR -e {ShellQuote.Quote(login.Ssh!)} {ShellQuote.Quote(local)} {ShellQuote.Quote(login.Host + ":" + destination)}";
    }

    private static string ReturnLine(SshLogin login, string file, string workDir)
    {
        string source, localDir;
        var marker = file.IndexOf("/./", StringComparison.Ordinal);
        if (marker >= 0)
        {
            (source, localDir) = ("./" + file[(marker + 3)..], file[..marker] is { Length: > 0 } dir ? dir : "/");
        }
        else if (file.StartsWith('/'))
        {
            return $"rsync -rlDzR -e {ShellQuote.Quote(login.Ssh!)} {ShellQuote.Quote(login.Host + ":" + file)} /";
        }
        else
        {
            (source, localDir) = ("./" + file, ".");
        }

        var rsyncPath = $"cd {ShellQuote.Quote(workDir)} && rsync";
        return $"mkdir -p {ShellQuote.Quote(localDir)} && rsync -rlDzR -e {ShellQuote.Quote(login.Ssh!)} --rsync-path={ShellQuote.Quote(rsyncPath)} {ShellQuote.Quote(login.Host + ":" + source)} {ShellQuote.Quote(localDir)}";
    }

    // The path a transferred or returned file has on the host, relative to the work dir unless absolute.
    private static string RemotePath(string file)
    {
        var marker = file.IndexOf("/./", StringComparison.Ordinal);
        return marker >= 0 ? file[(marker + 3)..] : file;
    }

    // Removes the files, then (as GNU parallel) their folders under the work dir that are left empty.
    private static string CleanupLine(SshLogin login, string workDir, IEnumerable<string> files, bool removeWorkDir)
    {
        var paths = files.Select(RemotePath).ToList();
        var script = new StringBuilder("cd ").Append(ShellQuote.Quote(workDir)).Append(" || exit 0; rm -f --");
        foreach (var path in paths)
        {
            script.Append(' ').Append(ShellQuote.Quote(path));
        }

        foreach (var folder in paths.Where(p => !p.StartsWith('/')).Select(Path.GetDirectoryName).Where(d => !string.IsNullOrEmpty(d)).Distinct())
        {
            script.Append("; rmdir -p -- ").Append(ShellQuote.Quote(folder!)).Append(" 2>/dev/null");
        }

        if (removeWorkDir)
        {
            script.Append("; cd && rm -rf -- ").Append(ShellQuote.Quote(workDir));
        }

        script.Append("; true");
        return $"{login.Prefix} {ShellQuote.Quote(script.ToString())} </dev/null";
    }
}
