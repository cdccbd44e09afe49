using System.Text;
using Spindle.Jobs;

namespace Spindle.Tests.Jobs;

/// <summary>Runs jobs with in-memory output streams and a private scratch folder, for assertions on what a user sees.</summary>
internal sealed class JobTestRun : IDisposable
{
    public JobTestRun()
    {
        Dir = Path.Combine(Path.GetTempPath(), "spindle-jobs-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Dir);
    }

    /// <summary>A scratch folder that jobs use to signal each other and the test.</summary>
    public string Dir { get; }

    public string Stdout { get; private set; } = "";

    public string Stderr { get; private set; } = "";

    public string PathOf(string name) => Path.Combine(Dir, name);

    public async Task<JobRunResult> RunAsync(JobRunOptions options, CancellationToken token = default)
    {
        using var stdout = new MemoryStream();
        using var stderr = new MemoryStream();
        try
        {
            return await JobRunner.RunAsync(options with { StandardOutput = stdout, StandardError = stderr, StandardInput = options.StandardInput ?? new StringReader("") }, token);
        }
        finally
        {
            Stdout = Encoding.UTF8.GetString(stdout.ToArray());
            Stderr = Encoding.UTF8.GetString(stderr.ToArray());
        }
    }

    public static JobRunOptions Options(string command, params string[] values) => new()
    {
        Command = [command],
        Inputs = values.Length > 0 ? [JobInputSource.FromValues(values)] : [],
        Jobs = "2",
    };

    /// <summary>Whether a process with this pid still exists (a reaped process does not).</summary>
    /// <summary>Runs the jobs in a fresh folder and returns their stdout, asserting that they wrote no stderr and all succeeded.</summary>
    public static async Task<string> OutputOf(JobRunOptions options)
    {
        using var run = new JobTestRun();
        var result = await run.RunAsync(options);
        Assert.Equal("", run.Stderr);
        Assert.Equal(0, result.ExitStatus);
        return run.Stdout;
    }

    public static bool IsAlive(int pid) => File.Exists($"/proc/{pid}/stat") && !File.ReadAllText($"/proc/{pid}/stat").Contains(") Z ", StringComparison.Ordinal);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Dir, recursive: true);
        }
        catch (IOException)
        {
            // A killed job may still be closing a file in it; the OS temp cleaner takes the rest.
        }
    }
}
