using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using StreamRag.Contracts;
using StreamRag.Redis;

namespace StreamRag.Monitor;

/// <summary>What became of one condition in one evaluation.</summary>
internal enum AlertTransition
{
    None,
    Fired,
    Resolved,
    SuppressedByCooldown,
}

/// <summary>
/// Turns rule verdicts into alerts: published once when one fires (to the alerts stream and
/// channel), nothing while it stays firing, once when it resolves; after a resolution the same
/// alert cannot fire again before the cooldown ends. State lives in Redis beside the alerts
/// stream, so a restarted monitor, or a second one, neither repeats nor loses an alert.
/// </summary>
internal sealed partial class AlertPublisher(
    RedisConnections connections,
    KeySchema keys,
    IOptions<AlertOptions> options,
    MonitorMetrics metrics,
    ILogger<AlertPublisher> logger)
{
    private static readonly string Script = LuaScripts.Read(typeof(AlertPublisher), "alert.lua");

    /// <summary>Keys of the alerts firing after the latest evaluation.</summary>
    public IReadOnlyCollection<string> Firing { get; private set; } = [];

    public async Task<IReadOnlyDictionary<string, AlertTransition>> ApplyAsync(IReadOnlyList<AlertCondition> conditions, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(conditions);
        var db = (await connections.GetSharedAsync()).GetDatabase();
        var states = (await db.HashGetAllAsync(keys.AlertStates))
            .ToDictionary(e => (string)e.Name!, e => (string?)e.Value ?? "", StringComparer.Ordinal);
        bool IsFiring(string key) => states.TryGetValue(key, out var s) && s.StartsWith(AlertFields.StateFiring, StringComparison.Ordinal);

        var outcomes = new Dictionary<string, AlertTransition>(StringComparer.Ordinal);
        var firing = new HashSet<string>(StringComparer.Ordinal);
        foreach (var condition in conditions)
        {
            var transition = AlertTransition.None;
            if (condition.Breached && !IsFiring(condition.Key))
            {
                transition = await TransitionAsync(db, condition, "fire", now);
            }
            else if (!condition.Breached && IsFiring(condition.Key))
            {
                transition = await TransitionAsync(db, condition, "resolve", now);
            }

            outcomes[condition.Key] = transition;
            if (condition.Breached && transition != AlertTransition.SuppressedByCooldown)
            {
                firing.Add(condition.Key);
            }
        }

        // A subject that is no longer observed (its stream or group was removed) cannot stay firing.
        foreach (var key in states.Keys.Where(k => IsFiring(k) && !outcomes.ContainsKey(k)))
        {
            var bar = key.IndexOf('|', StringComparison.Ordinal);
            var gone = new AlertCondition(
                bar < 0 ? key : key[..bar], bar < 0 ? "" : key[(bar + 1)..], "warning", false, 0, 0,
                "No longer observed: its subject is gone", "None.", []);
            outcomes[key] = await TransitionAsync(db, gone, "resolve", now);
        }

        Firing = firing;
        return outcomes;
    }

    private async Task<AlertTransition> TransitionAsync(IDatabase db, AlertCondition c, string transition, DateTimeOffset now)
    {
        var state = transition == "fire" ? AlertFields.StateFiring : AlertFields.StateResolved;
        var result = await PublishAsync(db, c.Key, transition, now,
        [
            new(AlertFields.Rule, c.Rule),
            new(AlertFields.Subject, c.Subject),
            new(AlertFields.State, state),
            new(AlertFields.Severity, c.Severity),
            new(AlertFields.Summary, transition == "fire" ? c.Summary : c.ResolvedSummary),
            new(AlertFields.Value, c.Value.ToString("R", CultureInfo.InvariantCulture)),
            new(AlertFields.Threshold, c.Threshold.ToString("R", CultureInfo.InvariantCulture)),
            new(AlertFields.Figures, FiguresJson(c.Figures)),
            new(AlertFields.Action, c.Action),
        ]);
        switch ((int)result[0])
        {
            case 1:
                metrics.AlertTransitions.Add(1, new KeyValuePair<string, object?>("rule", c.Rule), new KeyValuePair<string, object?>("state", state));
                if (transition == "fire")
                {
                    Log.Fired(logger, c.Key, c.Summary, c.Action);
                    return AlertTransition.Fired;
                }

                Log.Resolved(logger, c.Key, c.ResolvedSummary);
                return AlertTransition.Resolved;
            case -1:
                Log.Suppressed(logger, c.Key, DateTimeOffset.FromUnixTimeMilliseconds((long)result[1]));
                return AlertTransition.SuppressedByCooldown;
            default:
                return AlertTransition.None;
        }
    }

    /// <summary>
    /// Publishes a change of search_ef as a notice (severity info) on the alerts stream and channel:
    /// nothing to resolve, but every operator sees that the fleet now searches differently, and why.
    /// </summary>
    public async Task AnnounceEfChangeAsync(TuningState tuning, TuningOptions bounds, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(tuning);
        ArgumentNullException.ThrowIfNull(bounds);
        var from = tuning.ChangedFrom ?? tuning.Ef;
        var summary = string.Create(CultureInfo.InvariantCulture, $"search_ef {from} -> {tuning.Ef} for every query worker: {tuning.Decision.Reason}");
        var action = string.Create(CultureInfo.InvariantCulture,
            $"None needed. The tuner keeps search_ef within Tuning:MinEf {bounds.MinEf} and Tuning:MaxEf {bounds.MaxEf}; raise Tuning:MinEf to forbid lower efforts, or set Tuning:Enabled=false to stop tuning.");
        var figures = FiguresJson(
        [
            new("from", from), new("to", tuning.Ef), new("min_ef", bounds.MinEf), new("max_ef", bounds.MaxEf),
            new("recall", tuning.Measurement.Recall ?? double.NaN), new("recall_checks", tuning.Measurement.RecallSamples),
            new("search_p99_ms", tuning.Measurement.SearchP99Ms ?? double.NaN), new("latency_samples", tuning.Measurement.LatencySamples),
        ]);
        var db = (await connections.GetSharedAsync()).GetDatabase();
        await PublishAsync(db, AlertFields.RuleSearchEfChanged, "notice", now,
        [
            new(AlertFields.Rule, AlertFields.RuleSearchEfChanged), new(AlertFields.Subject, ""), new(AlertFields.State, AlertFields.StateNotice),
            new(AlertFields.Severity, AlertFields.SeverityInfo), new(AlertFields.Summary, summary), new(AlertFields.Value, tuning.Ef),
            new(AlertFields.Threshold, from), new(AlertFields.Figures, figures), new(AlertFields.Action, action),
        ]);
        metrics.AlertTransitions.Add(1, new KeyValuePair<string, object?>("rule", AlertFields.RuleSearchEfChanged), new KeyValuePair<string, object?>("state", AlertFields.StateNotice));
    }

    /// <summary>
    /// One run of alert.lua: the transition (or notice) and, when it happens, its stream entry and its
    /// channel message, both made there from <paramref name="fields"/> (plus <c>at</c> and <c>since</c>), in one step.
    /// </summary>
    private async Task<RedisResult[]> PublishAsync(IDatabase db, string key, string transition, DateTimeOffset now, NameValueEntry[] fields)
    {
        var o = options.Value;
        var at = now.ToUnixTimeMilliseconds();
        var args = new List<RedisValue>(8 + 2 * fields.Length)
        {
            key, transition, at, (long)o.Cooldown.TotalMilliseconds, o.StreamMaxLength, keys.AlertsChannel.ToString(),
        };
        foreach (var field in fields)
        {
            args.Add(field.Name);
            args.Add(field.Value);
        }

        args.Add(AlertFields.At);
        args.Add(at);
        return (RedisResult[])(await db.ScriptEvaluateAsync(Script, [keys.AlertStates, keys.Alerts], args.ToArray()))!;
    }

    internal static string FiguresJson(IReadOnlyList<KeyValuePair<string, object>> figures)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            writer.WriteStartObject();
            foreach (var (name, value) in figures)
            {
                switch (value)
                {
                    case double d when double.IsFinite(d):
                        writer.WriteNumber(name, Math.Round(d, 4));
                        break;
                    case int i:
                        writer.WriteNumber(name, i);
                        break;
                    case long l:
                        writer.WriteNumber(name, l);
                        break;
                    default:
                        writer.WriteString(name, Convert.ToString(value, CultureInfo.InvariantCulture));
                        break;
                }
            }

            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private static partial class Log
    {
        [LoggerMessage(4200, LogLevel.Warning, "ALERT {Key} firing: {Summary}. Action: {Action}")]
        public static partial void Fired(ILogger logger, string key, string summary, string action);

        [LoggerMessage(4201, LogLevel.Information, "ALERT {Key} resolved: {Summary}")]
        public static partial void Resolved(ILogger logger, string key, string summary);

        [LoggerMessage(4202, LogLevel.Debug, "Alert {Key} breached again within its cooldown (quiet until {Until:O}); not published")]
        public static partial void Suppressed(ILogger logger, string key, DateTimeOffset until);
    }
}
