using Spindle.Processes;
using Spindle.Tests.Processes;

namespace Spindle.Tests.Issues;

/// <summary>Issue 26: what a new user meets first with worker processes.</summary>
public sealed class NewUserWorkerTests
{
    private static Executor Create(ProcessExecutorOptions? options = null) =>
        Executor.Processes((options ?? new ProcessExecutorOptions()) with { MaxWorkers = 1, Output = static _ => { } });

    [Fact(Timeout = TestWait.Hard)]
    public async Task Submit_TypesDeclaredTheOrdinaryWay_CrossAsArgumentsAndResults()
    {
        await using var executor = Create();

        Assert.Equal(new Invoice("ada", 3.5m), await executor.Submit(static (Order o) => new Invoice(o.Customer, o.Total * 2), new Order("ada", 1.75m)));
        Assert.Equal(new Point(4, 6), await executor.Submit(static (Point p) => new Point(p.X * 2, p.Y * 2), new Point(2, 3)));
        Assert.Equal("bob:2", await executor.Submit(static (Basket b) => $"{b.Owner}:{b.Items.Count}", new Basket { Owner = "bob", Items = [new Order("x", 1), new Order("y", 2)] }));
        Assert.Equal([new Nested.Line(1), new Nested.Line(2)], await executor.Submit(static (int n) => Enumerable.Range(1, n).Select(static i => new Nested.Line(i)).ToList(), 2));
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task Worker_WhoseTasksCarryOnlyPlainData_NeverLoadsOpenSsl()
    {
        await using var executor = Create();

        // Numbers, strings and arrays of them are written without MessagePack's options, whose security settings load
        // OpenSSL (about 10 MB of a worker's resident memory); a record needs them, and loads it then.
        Assert.False(await executor.Submit(static (int _) => OpenSslLoaded(), 1));
        Assert.Equal(new[] { "a", "b" }, await executor.Submit(static (string[] s) => s, new[] { "a", "b" }));
        Assert.Equal(new[] { 2.0 }, await executor.Submit(static (double[] d) => d, new[] { 2.0 }));
        Assert.False(await executor.Submit(static (string _) => OpenSslLoaded(), "x"));
        Assert.True(await executor.Submit(static (Order _) => OpenSslLoaded(), new Order("ada", 1m)));
    }

    private static bool OpenSslLoaded() => File.ReadAllText("/proc/self/maps").Contains("libssl", StringComparison.Ordinal);

    [Fact(Timeout = TestWait.Hard)]
    public async Task Submit_TypeThatCannotCross_SaysWhyAndWhatToDo()
    {
        await using var executor = Create();

        var error = Assert.Throws<ArgumentException>(() => { _ = executor.Submit(static (Holder h) => 1, new Holder(Stream.Null)); });
        Assert.Contains("'Holder'", error.Message, StringComparison.Ordinal);
        Assert.Contains("run the work on threads", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("FormatterCache", error.Message, StringComparison.Ordinal);
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task Workers_AfterShutdownCrashAndTimeoutKill_LeaveNoDiagnosticFiles()
    {
        var workers = new List<ProcessIdentity>();
        await using (var executor = Create())
        {
            workers.Add(ProcessProbe.Identify(await executor.Submit(ProcessWork.Pid, 0)));
            await Assert.ThrowsAsync<WorkerCrashedException>(() => executor.Submit(ProcessWork.FailFast, 0));
            workers.Add(ProcessProbe.Identify(await executor.Submit(ProcessWork.Pid, 0)));
            await Assert.ThrowsAsync<TaskTimeoutException>(() => executor.Submit(ProcessWork.LoopForever, 0, new TaskOptions { Timeout = TimeSpan.FromMilliseconds(300) }));
            workers.Add(ProcessProbe.Identify(await executor.Submit(ProcessWork.Pid, 0)));
        }

        Assert.Equal(3, workers.Distinct().Count());
        Assert.All(workers, static worker => Assert.Empty(ProcessProbe.DiagnosticFiles(worker)));
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task Workers_WithDiagnosticsAskedFor_CanBeAttachedTo()
    {
        await using var executor = Create(new ProcessExecutorOptions { WorkerDiagnostics = true });
        var worker = ProcessProbe.Identify(await executor.Submit(ProcessWork.Pid, 0));

        // The diagnostics socket that dotnet-trace and dotnet-counters connect to.
        Assert.Contains(ProcessProbe.DiagnosticFiles(worker), static f => Path.GetFileName(f).StartsWith("dotnet-diagnostic-", StringComparison.Ordinal));
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task WorkerCrash_RuntimeReportIsNotEchoed_ButIsInTheExceptionsLines()
    {
        using var parent = ProcessProbe.StartDummy("crash");
        var stderr = parent.StandardError.ReadToEndAsync();
        var report = await ProcessProbe.ReadLineStartingWith(parent, "report:").WaitAsync(TestWait.Generous);
        await parent.WaitForExitAsync().WaitAsync(TestWait.Generous);
        var echoed = await stderr;

        Assert.Equal(0, parent.ExitCode);
        Assert.Equal("Stack overflow.", report);
        Assert.Contains("before the crash", echoed, StringComparison.Ordinal);
        Assert.Contains("[processes worker 1] a worker's own stderr line", echoed, StringComparison.Ordinal);
        Assert.DoesNotContain("Stack overflow", echoed, StringComparison.Ordinal);
        Assert.DoesNotContain("Overflow(Int32)", echoed, StringComparison.Ordinal);
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task App_StartedByARelativePathThenChangingDirectory_StillGetsWorkers()
    {
        var info = new System.Diagnostics.ProcessStartInfo("dotnet")
        {
            WorkingDirectory = AppContext.BaseDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add("Spindle.Tests.Dummy.dll");
        info.ArgumentList.Add("moved");
        using var app = System.Diagnostics.Process.Start(info)!;
        var stderr = app.StandardError.ReadToEndAsync();

        Assert.Equal("49", await ProcessProbe.ReadLineStartingWith(app, "result:").WaitAsync(TestWait.Generous));
        await app.WaitForExitAsync().WaitAsync(TestWait.Generous);
        Assert.True(app.ExitCode == 0, await stderr);
    }

    private static class Nested
    {
        internal sealed record Line(int Number);
    }

    private sealed record Invoice(string Customer, decimal Amount);

    private readonly record struct Point(int X, int Y);

    private sealed class Basket
    {
        public string Owner { get; set; } = "";

        public List<Order> Items { get; set; } = [];
    }

    private sealed record Holder(Stream Content);
}
