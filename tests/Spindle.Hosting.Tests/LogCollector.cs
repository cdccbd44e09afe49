using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Spindle.Hosting.Tests;

/// <summary>An ILoggerProvider that keeps every entry, with its event id and structured fields, for tests to read.</summary>
internal sealed class LogCollector : ILoggerProvider
{
    public ConcurrentQueue<LogEntry> Entries { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Collecting(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Collecting(LogCollector owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var fields = state as IReadOnlyList<KeyValuePair<string, object?>> ?? [];
            owner.Entries.Enqueue(new LogEntry(category, logLevel, eventId.Id, formatter(state, exception), fields.ToDictionary(static f => f.Key, static f => f.Value)));
        }
    }
}
