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

    /// <summary>Fetches <paramref name="url"/> with blocking calls.</summary>
    public static long Get(string url)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        using var response = s_client.Send(request);
        response.EnsureSuccessStatusCode();
        using var body = response.Content.ReadAsStream();
        using var copy = new MemoryStream();
        body.CopyTo(copy);
        return FileWork.Sum(copy.GetBuffer().AsSpan(0, (int)copy.Length));
    }

    /// <summary>Fetches <paramref name="url"/> with async calls.</summary>
    public static async Task<long> GetAsync(string url, CancellationToken cancellationToken)
    {
        var bytes = await s_client.GetByteArrayAsync(new Uri(url), cancellationToken);
        return FileWork.Sum(bytes);
    }
}
