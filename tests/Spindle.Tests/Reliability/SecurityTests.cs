using System.Runtime.InteropServices;
using Spindle.Processes;
using Spindle.Processes.Protocol;
using Spindle.Tests.Processes;
using Xunit.Abstractions;

namespace Spindle.Tests.Reliability;

/// <summary>
/// Item 7 of the reliability issue: the socket directory is 0700 and the user's; a process without the token cannot
/// connect; and nothing read from a worker makes this process instantiate a type the worker names.
/// </summary>
[Collection(ReliabilitySuite.Name)]
[Trait("Category", "Reliability")]
public sealed partial class SecurityTests(ITestOutputHelper output)
{
    [Fact(Timeout = TestWait.Hard)]
    public async Task SocketDirectory_IsPrivateToTheUser()
    {
        await using var executor = (ProcessExecutor)Executor.Processes(new ProcessExecutorOptions { MaxWorkers = 1, Output = static _ => { } });
        Assert.Equal(4, await executor.Submit(ReliabilityWork.Square, 2));

        var status = Stat(executor.Diagnostics.SocketDirectory);
        Assert.Equal("700", status.Mode);
        Assert.Equal(geteuid().ToString(System.Globalization.CultureInfo.InvariantCulture), status.Owner);
        Soak.Record(output, "security.socket_directory", $"mode {status.Mode}, owner uid {status.Owner} (this user)");
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task AnotherProcess_WithoutTheToken_CannotConnect()
    {
        await using var executor = (ProcessExecutor)Executor.Processes(new ProcessExecutorOptions { MaxWorkers = 1, Output = static _ => { } });
        Assert.Equal(4, await executor.Submit(ReliabilityWork.Square, 2));
        var worker = Assert.Single(executor.Diagnostics.WorkerPids);

        // A separate process of this same user (so the directory lets it in), claiming to be the live worker.
        using var intruder = ProcessProbe.StartDummy("intruder", executor.Diagnostics.SocketPath, "1", worker.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var verdict = await ProcessProbe.ReadLineStartingWith(intruder, "intruder:").WaitAsync(TestWait.Generous);

        Assert.Equal("refused", verdict);
        await TestWait.UntilAsync(() => executor.Diagnostics.RejectedConnections == 1, "the intruder is counted as refused");
        Assert.Equal(9, await executor.Submit(ReliabilityWork.Square, 3));
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task Results_NamingATypeOnTheWire_NeverInstantiateIt()
    {
        await using var fake = InProcessFakeWorker.Create(1024 * 1024);
        using var connection = await fake.ConnectNextAsync();
        var asObject = fake.Executor.Submit(ReliabilityWork.Echo, "x");
        var failing = fake.Executor.Submit(ReliabilityWork.Echo, "y");
        var runs = await connection.ReadRunsAsync(2);

        // MessagePack's typeless form: extension 100 holding an assembly-qualified type name, then the object.
        var name = System.Text.Encoding.UTF8.GetBytes(typeof(Canary).AssemblyQualifiedName!);
        byte[] typeless = [0xc7, (byte)(name.Length + 2), 100, 0xd9, (byte)name.Length, .. name, 0x80];
        connection.Send(Frames.Result(runs[0].TaskId, typeless));
        connection.Send(Frames.Error(runs[1].TaskId, typeof(Canary).AssemblyQualifiedName!, "instantiate me"));

        object? value = null;
        var result = await Record.ExceptionAsync(async () => value = await asObject.WaitAsync(TestWait.Generous));
        var error = await Assert.ThrowsAsync<RemoteTaskException>(() => failing.WaitAsync(TestWait.Generous));

        Assert.Equal(0, Canary.Instances);
        Assert.True(result is InvalidOperationException || value is not Canary, $"The result was {result?.Message ?? value?.GetType().Name}.");
        Assert.Equal(typeof(Canary).AssemblyQualifiedName, error.RemoteType);
        var outcome = result is null ? $"read as {value?.GetType().Name ?? "null"}" : $"refused ({result.GetType().Name})";
        Soak.Record(output, "security.type_names", $"a result in MessagePack's typeless form naming a type: {outcome}; an error naming a type: RemoteTaskException carrying the name as text; instances created: {Canary.Instances}");
    }

    private static (string Mode, string Owner) Stat(string path)
    {
        using var stat = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("stat", ["-c", "%a %u", path]) { RedirectStandardOutput = true })!;
        var parts = stat.StandardOutput.ReadToEnd().Trim().Split(' ');
        stat.WaitForExit();
        return (parts[0], parts[1]);
    }

    [LibraryImport("libc")]
    private static partial uint geteuid();
}

/// <summary>A type whose construction the security test would notice.</summary>
public sealed class Canary
{
    private static int s_instances;

    public Canary() => Interlocked.Increment(ref s_instances);

    public static int Instances => Volatile.Read(ref s_instances);
}
