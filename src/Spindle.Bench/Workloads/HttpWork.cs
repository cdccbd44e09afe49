namespace Spindle.Bench.Workloads;

/// <summary>Real HTTP: one GET to the bench's own server on 127.0.0.1, summing the body. Mirrored in spindle_bench.py.</summary>
public static class HttpWork
{
    // One client per process, as HttpClient is meant to be used: connections are pooled and reused across tasks.
    // No proxy: the server is on 127.0.0.1, and an HTTP_PROXY in the environment must not reroute it.
    private static readonly HttpClient s_client = new(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5), UseProxy = false })
    {
        Timeout = TimeSpan.FromSeconds(60),
    };

    // The server shares this process's ThreadPool; when 64 blocking Parallel.ForEach workers starve that pool, the
    // in-process HttpListener resets some kept-alive connections ("Connection reset by peer"). A reset request is
    // sent again, up to this many attempts in all, on every .NET technique alike; a server in its own process
    // would remove the need (Python's clients, in their own process, never see it).
    private const int Attempts = 3;

    /// <summary>Fetches <paramref name="url"/> with blocking calls.</summary>
    public static long Get(string url)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, url);
                using var response = s_client.Send(request);
                response.EnsureSuccessStatusCode();
                using var body = response.Content.ReadAsStream();
                using var copy = new MemoryStream();
                body.CopyTo(copy);
                return FileWork.Sum(copy.GetBuffer().AsSpan(0, (int)copy.Length));
            }
            catch (HttpRequestException e) when (attempt < Attempts && e.InnerException is IOException)
            {
                // See Attempts.
            }
        }
    }

    /// <summary>Fetches <paramref name="url"/> with async calls.</summary>
    public static async Task<long> GetAsync(string url, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var bytes = await s_client.GetByteArrayAsync(new Uri(url), cancellationToken);
                return FileWork.Sum(bytes);
            }
            catch (HttpRequestException e) when (attempt < Attempts && e.InnerException is IOException)
            {
                // See Attempts.
            }
        }
    }
}
