using System.Globalization;
using Spectre.Console;
using Spindle.Jobs;

namespace Spindle.Cli.Commands;

/// <summary>
/// --bar, --progress and --eta on stderr: a live Spectre.Console progress bar on a terminal, and GNU parallel's
/// one-line summary otherwise (a redirected stderr gets no escape codes).
/// </summary>
internal sealed class RunProgressRenderer : IProgress<JobProgress>, IDisposable
{
    private readonly IAnsiConsole _console;
    private readonly ProgressDisplay _display;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _live;
    private readonly Lock _lock = new();
    private JobProgress _latest;

    public RunProgressRenderer(IAnsiConsole console, ProgressDisplay display)
    {
        _console = console;
        _display = display;
        _live = console.Profile.Capabilities.Interactive ? Task.Run(LiveAsync) : Task.CompletedTask;
    }

    public void Report(JobProgress value)
    {
        // Slot threads report concurrently; the snapshot with the most completions wins.
        lock (_lock)
        {
            if (value.Completed >= _latest.Completed)
            {
                _latest = value;
            }
        }
    }

    private JobProgress Latest
    {
        get
        {
            lock (_lock)
            {
                return _latest;
            }
        }
    }

    /// <summary>Stops the live bar and prints the final line.</summary>
    public void Complete()
    {
        _stop.Cancel();
        _live.GetAwaiter().GetResult();
        if (!_console.Profile.Capabilities.Interactive || _display.Progress || _display.Eta)
        {
            _console.WriteLine(Summary(Latest));
        }
    }

    /// <summary>GNU parallel's status line: ETA, jobs left, average time, and local:running/completed/%/avg.</summary>
    internal static string Summary(JobProgress p)
    {
        var avg = p.AverageJobTime.TotalSeconds;
        var pct = p.Started == 0 ? 100 : (int)(p.Completed * 100 / Math.Max(p.Started, 1));
        var local = string.Create(CultureInfo.InvariantCulture, $"local:{p.Running}/{p.Completed}/{pct}%/{avg:0.0}s");
        if (p.Total is { } total)
        {
            var left = Math.Max(0, total - p.Completed);
            var eta = p.Completed == 0 ? 0 : p.Elapsed.TotalSeconds / p.Completed * left;
            return string.Create(CultureInfo.InvariantCulture, $"ETA: {eta:0}s Left: {left} AVG: {avg:0.00}s  {local}");
        }

        return local;
    }

    private async Task LiveAsync()
    {
        await _console.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .StartAsync(async ctx =>
            {
                var task = ctx.AddTask("jobs", maxValue: 1);
                while (true)
                {
                    var p = Latest;
                    task.MaxValue = p.Total ?? Math.Max(p.Started, 1);
                    task.Value = p.Completed;
                    task.Description = string.Create(CultureInfo.InvariantCulture, $"{p.Completed}/{(p.Total?.ToString(CultureInfo.InvariantCulture) ?? "?")} jobs, {p.Running} running, {p.Failed} failed");
                    if (_stop.IsCancellationRequested)
                    {
                        task.StopTask();
                        break;
                    }

                    try
                    {
                        await Task.Delay(100, _stop.Token);
                    }
                    catch (OperationCanceledException)
                    {
                        // Loop once more to draw the final counts.
                    }
                }
            });
    }

    public void Dispose()
    {
        _stop.Cancel();
        _stop.Dispose();
    }
}
