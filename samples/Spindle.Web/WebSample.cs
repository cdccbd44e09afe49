using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace Spindle.Web;

/// <summary>
/// The web sample: /light, /wait, /heavy and /parse, with Spindle's executors injected. Built here rather than in
/// Program.cs so that tests start the very same app on a real Kestrel.
/// </summary>
public static class WebSample
{
    /// <summary>Builds the app from its command line; <paramref name="configure"/> lets a test add settings first.</summary>
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(args);
        configure?.Invoke(builder);

        // The default executor serves /heavy: threads (its CPU lane) unless "Spindle:Technique" says Processes.
        // "isolated" serves /parse: worker processes, so that a crash, a hang or a leak costs one request.
        builder.Services.AddSpindle()
            .AddExecutor("isolated", static o =>
            {
                o.Technique = Technique.Processes;
                o.Workers = 2;
                o.MemoryLimitMegabytes = 256;
            });
        builder.Services.AddOptions<SampleOptions>().BindConfiguration("Sample");
        builder.Services.AddHealthChecks().AddSpindleHealthCheck();
        builder.Services.AddProblemDetails();

        var app = builder.Build();
        app.MapGet("/light", static () => "ok");
        app.MapGet("/wait", static async (CancellationToken token) =>
        {
            await Task.Delay(100, token);
            return "waited";
        });
        app.MapGet("/heavy", Heavy);
        app.MapGet("/parse", Parse);
        app.MapHealthChecks("/health");
        return app;
    }

    private static async Task<IResult> Heavy(Executor executor, IOptions<SampleOptions> options)
    {
        var iterations = options.Value.HeavyIterations;
        var hash = options.Value.HeavyMode switch
        {
            HeavyMode.Inline => SampleWork.Heavy(iterations),
            HeavyMode.TaskRun => await Task.Run(() => SampleWork.Heavy(iterations)),
            _ => await executor.Submit(SampleWork.Heavy, iterations),
        };
        return Results.Text(hash.ToString("x16", System.Globalization.CultureInfo.InvariantCulture));
    }

    private static async Task<IResult> Parse(
        [FromQuery] string? input, [FromKeyedServices("isolated")] Executor isolated, IOptions<SampleOptions> options, CancellationToken token)
    {
        try
        {
            return Results.Text(await isolated.Submit(SampleWork.Parse, input ?? "", new TaskOptions { Timeout = options.Value.ParseTimeout }, token));
        }
        catch (TaskTimeoutException e)
        {
            return Results.Problem(title: "The parser took too long.", detail: e.Message, statusCode: StatusCodes.Status504GatewayTimeout);
        }
        catch (WorkerCrashedException e)
        {
            return Results.Problem(title: "The parser crashed.", detail: e.Message, statusCode: StatusCodes.Status500InternalServerError);
        }
    }
}
