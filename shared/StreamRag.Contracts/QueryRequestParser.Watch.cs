using System.Globalization;

namespace StreamRag.Contracts;

/// <summary>The fields of standing queries: <c>threshold</c>, <c>ttl</c> and <c>notify_to</c> for <c>watch</c>, <c>watch_id</c> for <c>unwatch</c>.</summary>
public sealed partial class QueryRequestParser
{
    private ContractViolation? ParseWatch(Dictionary<string, string> values, QueryMode mode, out WatchRequest? watch, out string? watchId)
    {
        watch = null;
        watchId = null;
        var watchFields = new[] { QueryRequestFields.Threshold, QueryRequestFields.WatchTtl, QueryRequestFields.NotifyTo };
        if (mode != QueryMode.Watch && watchFields.FirstOrDefault(values.ContainsKey) is { } stray)
        {
            return new(ErrorCodes.InvalidField, $"field '{stray}' is only for mode 'watch'");
        }

        if (mode != QueryMode.Unwatch && values.ContainsKey(QueryRequestFields.WatchId))
        {
            return new(ErrorCodes.InvalidField, $"field '{QueryRequestFields.WatchId}' is only for mode 'unwatch'");
        }

        if (mode == QueryMode.Unwatch)
        {
            if (!values.TryGetValue(QueryRequestFields.WatchId, out var id))
            {
                return new(ErrorCodes.MissingField, "field 'watch_id' is required with mode 'unwatch'");
            }

            if (!Validation.IsLabel(id, limits.MaxWatchKeyLength))
            {
                return new(ErrorCodes.InvalidField, $"watch_id must be {Validation.LabelRule(limits.MaxWatchKeyLength)}");
            }

            watchId = id;
            return null;
        }

        if (mode != QueryMode.Watch)
        {
            return null;
        }

        if (!values.TryGetValue(QueryRequestFields.Threshold, out var thresholdText))
        {
            return new(ErrorCodes.MissingField, "field 'threshold' is required with mode 'watch'");
        }

        if (!double.TryParse(thresholdText, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var threshold) || threshold is < 0 or > 1)
        {
            return new(ErrorCodes.InvalidField, $"threshold must be a number from 0 to 1 (the reply's score scale), not '{DocumentEventParser.Truncate(thresholdText)}'");
        }

        var ttl = limits.DefaultWatchTtlSeconds;
        if (values.TryGetValue(QueryRequestFields.WatchTtl, out var ttlText)
            && (!int.TryParse(ttlText, NumberStyles.None, CultureInfo.InvariantCulture, out ttl) || ttl < 1 || ttl > limits.MaxWatchTtlSeconds))
        {
            return new(ErrorCodes.InvalidField, $"ttl must be whole seconds from 1 to {limits.MaxWatchTtlSeconds}, not '{DocumentEventParser.Truncate(ttlText)}'");
        }

        if (!values.TryGetValue(QueryRequestFields.NotifyTo, out var notifyTo))
        {
            return new(ErrorCodes.MissingField, "field 'notify_to' is required with mode 'watch'");
        }

        // Part of Redis key names (and a hash tag of the deduplication key): no braces, no spaces.
        if (!Validation.IsLabel(notifyTo, limits.MaxWatchKeyLength))
        {
            return new(ErrorCodes.InvalidField, $"notify_to must be {Validation.LabelRule(limits.MaxWatchKeyLength)}");
        }

        watch = new WatchRequest(threshold, TimeSpan.FromSeconds(ttl), notifyTo);
        return null;
    }
}
