using System.Diagnostics;
using System.Globalization;
using Spindle.Tests.Processes;
using Xunit.Abstractions;

namespace Spindle.Tests.Reliability;

/// <summary>
/// Item 2 of the reliability issue: a parent SIGKILLed at a random moment of its startup, of a map, or of its
/// shutdown leaves no worker, no task child and no socket directory 3 s later. The parent runs in a session of
/// its own (setsid), so every process it started, however far down, is found by its session id.
/// </summary>
[Collection(ReliabilitySuite.Name)]
[Trait("Category", "Reliability")]
public sealed class DyingParentTests(ITestOutputHelper output)
{
    private static readonly string[] s_phases = ["startup", "map", "shutdown"];

    [Fact(Timeout = Soak.Hard)]
    public async Task Parent_SigkilledAtRandomMoments_LeavesNoWorkerAndNoSocketFile()
    {
        var rounds = Soak.Scale(6, 20);
        var random = new Random(2);
        var slowest = TimeSpan.Zero;
        var left = new List<string>();
        var sessionMembersAtKill = 0;
        await Task.Run(async () =>
        {
            for (var round = 0; round < rounds; round++)
            {
                var phase = s_phases[round % s_phases.Length];
                var (members, cleanup) = await KillOnceAsync(phase, random);
                sessionMembersAtKill += members;
                slowest = cleanup > slowest ? cleanup : slowest;
            }
        }).WaitAsync(Soak.Deadline);

        Soak.Record(output, "parent.kills", $"{rounds} ({string.Join(", ", s_phases.Select(p => $"{Enumerable.Range(0, rounds).Count(r => s_phases[r % 3] == p)} mid-{p}"))})");
        Soak.Record(output, "parent.processes_at_kill", $"{sessionMembersAtKill}");
        Soak.Record(output, "parent.slowest_cleanup_ms", $"{slowest.TotalMilliseconds:0}");
        Assert.Empty(left);
    }

    /// <summary>Starts a parent in the phase, kills it at a random moment, and returns how many processes it had and how long they took to go.</summary>
    private static async Task<(int Members, TimeSpan Cleanup)> KillOnceAsync(string phase, Random random)
    {
        var info = new ProcessStartInfo("setsid")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { ProcessProbe.DummyPath, "parent", "2", phase })
        {
            info.ArgumentList.Add(arg);
        }

        using var parent = Process.Start(info)!;
        var session = parent.Id;
        _ = parent.StandardError.ReadToEndAsync();
        if (phase == "startup")
        {
            // The executor exists and its workers are booting or connecting: kill somewhere in that window.
            await ProcessProbe.ReadLineStartingWith(parent, "dir:");
            await Task.Delay(random.Next(0, 400));
        }
        else
        {
            await ProcessProbe.ReadLineStartingWith(parent, "ready");
            await Task.Delay(random.Next(0, phase == "map" ? 600 : 900));
        }

        var members = SessionMembers(session).Count;
        parent.Kill();
        var clock = Stopwatch.StartNew();
        await TestWait.UntilAsync(
            () => SessionMembers(session).Count == 0 && SocketDirectories(session).Length == 0,
            $"the parent (pid {session}, killed mid-{phase}) leaves no process (left: {string.Join(", ", SessionMembers(session).Select(Describe))}) and no socket directory (left: {string.Join(' ', SocketDirectories(session))})",
            TimeSpan.FromSeconds(3));
        return (members, clock.Elapsed);
    }

    /// <summary>Live processes of a session (zombies have already exited; they only wait for their reaper).</summary>
    private static List<int> SessionMembers(int session)
    {
        var members = new List<int>();
        foreach (var entry in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(entry), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }

            try
            {
                var stat = File.ReadAllText(Path.Combine(entry, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');

                // After the command name: state, ppid, pgrp, session.
                if (fields[0] is not ("Z" or "X") && int.Parse(fields[3], CultureInfo.InvariantCulture) == session)
                {
                    members.Add(pid);
                }
            }
            catch (IOException)
            {
            }
        }

        return members;
    }

    private static string Describe(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return $"{pid} [{stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[0]}] {File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ')}";
        }
        catch (IOException)
        {
            return $"{pid} (gone)";
        }
    }

    private static string[] SocketDirectories(int parentPid) => Directory.GetDirectories(Path.GetTempPath(), $"spindle-{parentPid}-*");
}
