using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace StreamRag.TestSupport;

/// <summary>One log entry as a test sees it: when, where from, which event, and its structured values.</summary>
public sealed record CapturedLog(DateTimeOffset At, string Category, EventId Event, LogLevel Level, string Message, IReadOnlyDictionary<string, object?> Values);

/// <summary>
/// A logger provider that keeps every entry, so a test can wait for an event (a circuit opening,
/// a trim pass) instead of sleeping. Add it to a host's logging, or hand <see cref="CreateLogger"/>
/// to a component.
/// </summary>
public sealed class LogCapture : ILoggerProvider
{
    private readonly ConcurrentQueue<CapturedLog> entries = new();

    public IReadOnlyList<CapturedLog> Entries => entries.ToArray();

    /// <summary>Entries of one event id, in the order they were written.</summary>
    public IReadOnlyList<CapturedLog> Of(int eventId) => entries.Where(e => e.Event.Id == eventId).ToArray();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public ILogger<T> CreateLogger<T>() => new Logger<T>(new Factory(this));

    public void Dispose()
    {
    }

    private sealed class Factory(LogCapture capture) : ILoggerFactory
    {
        public void AddProvider(ILoggerProvider provider)
        {
        }

        public ILogger CreateLogger(string categoryName) => capture.CreateLogger(categoryName);

        public void Dispose()
        {
        }
    }

    private sealed class Logger(LogCapture capture, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var values = state is IEnumerable<KeyValuePair<string, object?>> pairs
                ? pairs.GroupBy(p => p.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Last().Value, StringComparer.Ordinal)
                : new Dictionary<string, object?>(StringComparer.Ordinal);
            capture.entries.Enqueue(new CapturedLog(DateTimeOffset.UtcNow, category, eventId, logLevel, formatter(state, exception), values));
        }
    }
}
