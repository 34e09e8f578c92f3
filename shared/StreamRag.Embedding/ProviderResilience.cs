using System.ClientModel;
using System.Globalization;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using Polly.Timeout;

namespace StreamRag.Embedding;

/// <summary>How a failed provider call is treated.</summary>
public enum ProviderFault
{
    /// <summary>429, 408, 5xx, network error, attempt timeout, unreadable reply: retried, counted by the circuit breaker.</summary>
    Transient,

    /// <summary>Another 4xx: the request itself is refused and would be again.</summary>
    Rejected,

    /// <summary>401, 403, 404: the key, model or base URL is wrong; nothing succeeds until it is fixed.</summary>
    Misconfigured,

    /// <summary>Anything else (a bug, not a provider condition): not retried, not wrapped.</summary>
    Unknown,
}

/// <summary>
/// The Polly v8 pipeline every provider call goes through, outermost first: retry (exponential
/// back-off with jitter, or the provider's <c>Retry-After</c>), circuit breaker, per-attempt timeout.
/// The breaker sits inside the retry so each attempt counts, and an open circuit is not retried:
/// the call fails fast and the caller backs off.
/// </summary>
public static partial class ProviderResilience
{
    /// <summary>Builds the pipeline; <paramref name="time"/> drives every delay, timeout and breaker window.</summary>
    public static ResiliencePipeline Create(ProviderResilienceOptions options, TimeProvider time, ILogger logger, string name)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(logger);
        var builder = new ResiliencePipelineBuilder { Name = name, TimeProvider = time };
        if (options.MaxRetries > 0)
        {
            builder.AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = options.MaxRetries,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.RetryDelay,
                MaxDelay = options.MaxRetryDelay,
                ShouldHandle = args => ValueTask.FromResult(
                    args.Outcome.Exception is { } ex
                    && IsTransient(ex, args.Context.CancellationToken)
                    && !(RetryAfterOf(ex, time) > options.MaxRetryAfter)),
                DelayGenerator = args => ValueTask.FromResult(args.Outcome.Exception is { } ex ? RetryAfterOf(ex, time) : null),
                OnRetry = args =>
                {
                    Log.Retrying(logger, name, args.AttemptNumber + 1, args.RetryDelay.TotalMilliseconds, Describe(args.Outcome.Exception));
                    return default;
                },
            });
        }

        builder.AddCircuitBreaker(new CircuitBreakerStrategyOptions
        {
            FailureRatio = options.BreakerFailureRatio,
            MinimumThroughput = options.BreakerMinimumThroughput,
            SamplingDuration = options.BreakerSamplingDuration,
            BreakDuration = options.BreakerBreakDuration,
            ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is { } ex && IsTransient(ex, args.Context.CancellationToken)),
            OnOpened = args =>
            {
                Log.CircuitOpened(logger, name, args.BreakDuration.TotalSeconds, Describe(args.Outcome.Exception));
                return default;
            },
            OnHalfOpened = _ =>
            {
                Log.CircuitHalfOpened(logger, name);
                return default;
            },
            OnClosed = _ =>
            {
                Log.CircuitClosed(logger, name);
                return default;
            },
        });

        builder.AddTimeout(options.Timeout);
        return builder.Build();
    }

    /// <summary>How an exception thrown by a provider call (SDK or pipeline) is treated.</summary>
    public static ProviderFault Classify(Exception exception) => exception switch
    {
        ClientResultException { Status: 0 } => ProviderFault.Transient,
        ClientResultException { Status: 408 or 429 or >= 500 } => ProviderFault.Transient,
        ClientResultException { Status: 401 or 403 or 404 } => ProviderFault.Misconfigured,
        ClientResultException { Status: >= 400 and < 500 } => ProviderFault.Rejected,
        ClientResultException => ProviderFault.Transient,
        TimeoutRejectedException or BrokenCircuitException => ProviderFault.Transient,
        HttpRequestException or IOException or SocketException => ProviderFault.Transient,

        // A reply that is not the JSON the API promises (a proxy's HTML page, a truncated body) says
        // nothing about the inputs: it is the provider's condition, so it is retried and, if it
        // persists, reported as unavailable — the entries wait instead of being dead-lettered.
        JsonException or FormatException => ProviderFault.Transient,
        _ => ProviderFault.Unknown,
    };

    /// <summary>HTTP status of a provider's answer, if the exception carries one.</summary>
    public static int? StatusOf(Exception exception) =>
        exception is ClientResultException { Status: > 0 } e ? e.Status : null;

    /// <summary>
    /// The wait the provider asked for: <c>retry-after-ms</c> (OpenAI, Azure), else <c>Retry-After</c>
    /// in seconds or as an HTTP date. Null when the exception carries no such header.
    /// </summary>
    public static TimeSpan? RetryAfterOf(Exception exception, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(time);
        if (exception is not ClientResultException e || e.GetRawResponse() is not { } response)
        {
            return null;
        }

        if (response.Headers.TryGetValue("retry-after-ms", out var ms)
            && double.TryParse(ms, NumberStyles.Float, CultureInfo.InvariantCulture, out var millis) && millis >= 0)
        {
            return TimeSpan.FromMilliseconds(millis);
        }

        if (!response.Headers.TryGetValue("Retry-After", out var value) || string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && seconds >= 0)
        {
            return TimeSpan.FromSeconds(seconds);
        }

        if (DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at))
        {
            var wait = at - time.GetUtcNow();
            return wait > TimeSpan.Zero ? wait : TimeSpan.Zero;
        }

        return null;
    }

    /// <summary>Short text of a failure for logs and error messages.</summary>
    public static string Describe(Exception? exception) => exception switch
    {
        null => "no exception",
        ClientResultException { Status: 0 } e => $"network error: {e.InnerException?.Message ?? e.Message}",
        ClientResultException e => $"HTTP {e.Status}: {FirstLine(e.Message)}",
        TimeoutRejectedException e => $"attempt timed out after {e.Timeout.TotalSeconds:0.###} s",
        _ => $"{exception.GetType().Name}: {FirstLine(exception.Message)}",
    };

    private static bool IsTransient(Exception exception, CancellationToken callerToken) =>
        (Classify(exception) == ProviderFault.Transient && exception is not BrokenCircuitException)

        // The SDK's own cancellation (a dropped connection) when the caller did not cancel.
        || (exception is OperationCanceledException && !callerToken.IsCancellationRequested);

    private static string FirstLine(string text)
    {
        var line = text.AsSpan().Trim();
        var end = line.IndexOfAny('\r', '\n');
        return (end < 0 ? line : line[..end]).ToString();
    }

    private static partial class Log
    {
        [LoggerMessage(1100, LogLevel.Warning, "{Pipeline}: provider call failed ({Reason}); attempt {Attempt} in {DelayMs} ms")]
        public static partial void Retrying(ILogger logger, string pipeline, int attempt, double delayMs, string reason);

        [LoggerMessage(1101, LogLevel.Error, "{Pipeline}: circuit opened for {Seconds} s after repeated failures (last: {Reason}); calls fail fast until a trial call succeeds")]
        public static partial void CircuitOpened(ILogger logger, string pipeline, double seconds, string reason);

        [LoggerMessage(1102, LogLevel.Information, "{Pipeline}: circuit half-open, letting a trial call through")]
        public static partial void CircuitHalfOpened(ILogger logger, string pipeline);

        [LoggerMessage(1103, LogLevel.Information, "{Pipeline}: circuit closed, provider is back")]
        public static partial void CircuitClosed(ILogger logger, string pipeline);
    }
}
