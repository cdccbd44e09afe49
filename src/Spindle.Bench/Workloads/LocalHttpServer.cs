using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Spindle.Bench.Workloads;

/// <summary>
/// The HTTP server the bench talks to: 127.0.0.1 only, on a free port. <c>GET /item/{i}?delay={ms}&amp;size={bytes}</c>
/// waits <c>ms</c> (a server's think time, so the client truly waits) and answers <c>size</c> bytes where byte j is
/// (i * 31 + j) mod 251, which both the .NET and the Python clients can check.
/// </summary>
internal sealed class LocalHttpServer : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    private LocalHttpServer(int port)
    {
        BaseUrl = $"http://127.0.0.1:{port}/";
        _listener.Prefixes.Add(BaseUrl);
        _listener.Start();
        _loop = AcceptLoop();
    }

    public string BaseUrl { get; }

    public static LocalHttpServer Start()
    {
        // Another process can take the port between probing and binding; a few attempts make that harmless.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return new LocalHttpServer(FreePort());
            }
            catch (HttpListenerException) when (attempt < 5)
            {
            }
        }
    }

    public string UrlFor(int item, int delayMilliseconds, int bytes) =>
        string.Create(CultureInfo.InvariantCulture, $"{BaseUrl}item/{item}?delay={delayMilliseconds}&size={bytes}");

    /// <summary>The sum of the body bytes the server sends for <paramref name="item"/>: what a client must compute.</summary>
    public static long ExpectedSum(int item, int bytes)
    {
        var total = 0L;
        for (var j = 0; j < bytes; j++)
        {
            total += ((item * 31) + j) % 251;
        }

        return total;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();

        // Close only, never Stop and then Close: on Unix both release the listener's endpoint, and the second release
        // binds the port again to look it up, failing with "Address already in use" when another process took the
        // port in between (a CI failure, dotnet's managed HttpListener).
        _listener.Close();
        try
        {
            await _loop;
        }
        catch (ObjectDisposedException)
        {
        }
        catch (HttpListenerException)
        {
        }

        _stop.Dispose();
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    private async Task AcceptLoop()
    {
        while (!_stop.IsCancellationRequested)
        {
            var context = await _listener.GetContextAsync();

            // Each request is served on its own so that one server wait never delays the next request.
            _ = Task.Run(() => Serve(context));
        }
    }

    private async Task Serve(HttpListenerContext context)
    {
        var response = context.Response;
        try
        {
            var segments = context.Request.Url!.AbsolutePath.Split('/', StringSplitOptions.RemoveEmptyEntries);
            var query = context.Request.QueryString;
            if (segments is not ["item", var id] || !int.TryParse(id, CultureInfo.InvariantCulture, out var item)
                || !int.TryParse(query["delay"], CultureInfo.InvariantCulture, out var delay)
                || !int.TryParse(query["size"], CultureInfo.InvariantCulture, out var size) || size < 0 || delay < 0)
            {
                response.StatusCode = 404;
                response.Close();
                return;
            }

            await Task.Delay(delay, _stop.Token);
            var body = new byte[size];
            for (var j = 0; j < size; j++)
            {
                body[j] = (byte)(((item * 31) + j) % 251);
            }

            response.ContentType = "application/octet-stream";
            response.ContentLength64 = size;
            await response.OutputStream.WriteAsync(body, _stop.Token);
            response.Close();
        }
#pragma warning disable CA1031 // A client that went away must not take the server down; the client reports its own failure.
        catch (Exception)
#pragma warning restore CA1031
        {
            response.Abort();
        }
    }
}
