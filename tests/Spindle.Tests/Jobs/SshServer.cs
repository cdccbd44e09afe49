using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Spindle.Tests.Jobs;

/// <summary>
/// A real OpenSSH server on 127.0.0.1, for the remote-execution tests: its own config, host key and a throwaway client
/// key in a private folder, a free port, started once per test class and killed at the end. Needs Debian's
/// openssh-server and rsync (.ci/run installs them).
/// </summary>
public sealed class SshServer : IDisposable
{
    private const string Sshd = "/usr/sbin/sshd";
    private readonly Process _sshd;

    public SshServer()
    {
        foreach (var tool in (string[])[Sshd, "/usr/bin/ssh", "/usr/bin/ssh-keygen", "/usr/bin/rsync"])
        {
            if (!File.Exists(tool))
            {
                throw new InvalidOperationException($"The remote-execution tests need '{tool}'; install it with: apt-get install -y openssh-server rsync");
            }
        }

        Dir = Path.Combine(Path.GetTempPath(), "spindle-sshd-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        Run("/usr/bin/ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", Path.Combine(Dir, "host_key"));
        Run("/usr/bin/ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", Path.Combine(Dir, "client_key"));
        File.Copy(Path.Combine(Dir, "client_key.pub"), Path.Combine(Dir, "authorized_keys"));
        // sshd refuses to start without its privilege separation folder, which only the package's service creates.
        if (!Directory.Exists("/run/sshd") && Environment.UserName == "root")
        {
            Directory.CreateDirectory("/run/sshd", UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        }

        Ssh = $"ssh -i {Path.Combine(Dir, "client_key")} -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o BatchMode=yes -o LogLevel=ERROR -o ConnectTimeout=20";
        Login = $"{Environment.UserName}@127.0.0.1";
        // A port found free may be taken before sshd binds it: try a few.
        for (var attempt = 1; ; attempt++)
        {
            Port = FreePort();
            File.WriteAllText(Path.Combine(Dir, "sshd_config"), $"""
                Port {Port}
                ListenAddress 127.0.0.1
                HostKey {Path.Combine(Dir, "host_key")}
                AuthorizedKeysFile {Path.Combine(Dir, "authorized_keys")}
                StrictModes no
                UsePAM no
                PidFile {Path.Combine(Dir, "sshd.pid")}
                PasswordAuthentication no
                KbdInteractiveAuthentication no
                PermitRootLogin prohibit-password
                MaxStartups 100
                MaxSessions 100
                LogLevel ERROR

                """);
            var start = new ProcessStartInfo(Sshd) { RedirectStandardError = true, RedirectStandardOutput = true, RedirectStandardInput = true };
            foreach (var arg in (string[])["-D", "-e", "-f", Path.Combine(Dir, "sshd_config")])
            {
                start.ArgumentList.Add(arg);
            }

            _sshd = Process.Start(start)!;
            _sshd.StandardInput.Close();
            var stderr = _sshd.StandardError.ReadToEndAsync();
            if (WaitUntilServing())
            {
                return;
            }

            if (!_sshd.HasExited)
            {
                _sshd.Kill();
            }

            _sshd.WaitForExit();
            if (attempt == 3)
            {
                throw new InvalidOperationException($"sshd did not start on 127.0.0.1:{Port}: {stderr.Result}");
            }
        }
    }

    /// <summary>The private folder of keys and config.</summary>
    public string Dir { get; }

    public int Port { get; private set; }

    /// <summary>The ssh command (key, no host key checks, no prompts) without the port.</summary>
    public string Ssh { get; }

    /// <summary>user@127.0.0.1.</summary>
    public string Login { get; }

    /// <summary>The ssh command with the port, for --ssh.</summary>
    public string SshWithPort => $"{Ssh} -p {Port}";

    /// <summary>GNU's full sshlogin form: "ssh [options] -p PORT user@host".</summary>
    public string FullLogin => $"{SshWithPort} {Login}";

    private bool WaitUntilServing()
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(30) && !_sshd.HasExited)
        {
            var check = new ProcessStartInfo("/bin/sh") { RedirectStandardOutput = true, RedirectStandardError = true };
            check.ArgumentList.Add("-c");
            check.ArgumentList.Add($"{SshWithPort} {Login} true");
            using var probe = Process.Start(check)!;
            if (probe.WaitForExit(TimeSpan.FromSeconds(25)) && probe.ExitCode == 0)
            {
                return true;
            }

            if (!probe.HasExited)
            {
                probe.Kill();
            }

            // Not a test's wait: sshd is still binding its port, and nothing signals that.
            Thread.Sleep(100);
        }

        return false;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static void Run(string program, params string[] args)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        if (!process.WaitForExit(TimeSpan.FromSeconds(30)) || process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{program} {string.Join(' ', args)} failed: {process.StandardError.ReadToEnd()}");
        }
    }

    public void Dispose()
    {
        if (!_sshd.HasExited)
        {
            _sshd.Kill(entireProcessTree: true);
        }

        _sshd.WaitForExit();
        _sshd.Dispose();
        try
        {
            Directory.Delete(Dir, recursive: true);
        }
        catch (IOException)
        {
            // The OS temp cleaner takes what is left.
        }
    }
}
