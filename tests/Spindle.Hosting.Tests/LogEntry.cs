using Microsoft.Extensions.Logging;

namespace Spindle.Hosting.Tests;

/// <summary>One log entry as a test sees it.</summary>
internal sealed record LogEntry(string Category, LogLevel Level, int EventId, string Message, Dictionary<string, object?> Fields);
