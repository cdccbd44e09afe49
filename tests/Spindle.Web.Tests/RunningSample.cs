using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Spindle.Web.Tests;

/// <summary>The web sample on a real Kestrel, on a free port of 127.0.0.1, with an HttpClient pointed at it.</summary>
internal sealed class RunningSample : IAsyncDisposable
{
    private RunningSample(WebApplication app, HttpClient client)
    {
        App = app;
        Client = client;
    }

    public WebApplication App { get; }

    public HttpClient Client { get; }

    public static async Task<RunningSample> StartAsync(Dictionary<string, string?>? settings = null)
    {
        var app = Build(settings);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        return new RunningSample(app, new HttpClient { BaseAddress = new Uri(address), Timeout = TimeSpan.FromSeconds(30) });
    }

    public static WebApplication Build(Dictionary<string, string?>? settings = null) =>
        WebSample.Build([], builder =>
        {
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Urls"] = "http://127.0.0.1:0",
                ["Logging:LogLevel:Default"] = "Warning",
            });
            builder.Configuration.AddInMemoryCollection(settings ?? []);
        });

    /// <summary>
    /// The sample's live worker processes: this process's children but for the executors' janitors (a shell each,
    /// which removes the socket directory even if this process is killed). The tests of this class run one at a time.
    /// </summary>
    public static int[] WorkerPids() =>
        [.. ChildPids().Where(static p => TryRead($"/proc/{p}/cmdline") is { } cmdline && !cmdline.StartsWith("/bin/sh", StringComparison.Ordinal))];

    /// <summary>This process's live child processes.</summary>
    public static int[] ChildPids() =>
        [.. Directory.EnumerateDirectories("/proc")
            .Select(Path.GetFileName)
            .Where(static name => name!.All(char.IsAsciiDigit))
            .Select(static name => (Pid: int.Parse(name!, CultureInfo.InvariantCulture), Stat: TryRead($"/proc/{name}/stat")))
            .Where(static p => p.Stat is not null && IsLiveChild(p.Stat))
            .Select(static p => p.Pid)];

    /// <summary>The children, each with its command line, for a failure message.</summary>
    public static string DescribeChildren() =>
        string.Join("; ", ChildPids().Select(static p => $"{p}: {TryRead($"/proc/{p}/cmdline")?.Replace('\0', ' ')}"));

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await App.DisposeAsync();
    }

    private static bool IsLiveChild(string stat)
    {
        // Fields after the name, which is in parentheses: state, then the parent's pid.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return fields[0] != "Z" && int.Parse(fields[1], CultureInfo.InvariantCulture) == Environment.ProcessId;
    }

    private static string? TryRead(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (IOException)
        {
            return null;
        }
    }
}
