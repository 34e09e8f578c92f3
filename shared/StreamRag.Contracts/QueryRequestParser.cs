using System.Diagnostics;
using System.Globalization;

namespace StreamRag.Contracts;

/// <summary>
/// Turns the raw fields of a query-request stream entry into a <see cref="QueryRequest"/>; the
/// <c>filters</c> JSON is read in QueryRequestParser.Filters.cs.
/// </summary>
public sealed partial class QueryRequestParser(ContractLimits limits)
{
    public const int DefaultK = 10;

    public ParsedQueryRequest Parse(IEnumerable<KeyValuePair<string, ReadOnlyMemory<byte>>> fields)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        ContractViolation? firstError = null;
        float[]? vector = null;
        ActivityContext? traceParent = null;
        foreach (var (name, raw) in fields)
        {
            if (!QueryRequestFields.Known.Contains(name))
            {
                firstError ??= new(ErrorCodes.UnknownField, $"unknown field '{DocumentEventParser.Truncate(name)}'");
                continue;
            }

            if (name == QueryRequestFields.TraceParent)
            {
                // Never a reason to refuse a request: an invalid (or a second) traceparent is ignored.
                traceParent ??= Contracts.TraceParent.Parse(raw.Span);
                continue;
            }

            if (name == QueryRequestFields.Vector)
            {
                // Binary, not text: float32 values, little-endian, as VADD/VSIM FP32 take them.
                if (raw.Length == 0 || raw.Length % 4 != 0 || raw.Length > 4 * 4096)
                {
                    firstError ??= new(ErrorCodes.InvalidField, $"vector must be 1 to 4096 little-endian float32 values (a multiple of 4 bytes), not {raw.Length} bytes");
                    continue;
                }

                vector = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(raw.Span).ToArray();
                if (!BitConverter.IsLittleEndian || vector.Any(x => !float.IsFinite(x)))
                {
                    firstError ??= new(ErrorCodes.InvalidField, "vector values must be finite float32 numbers");
                }

                continue;
            }

            if (raw.Length > 64 * 1024)
            {
                firstError ??= new(ErrorCodes.TooLarge, $"field '{name}' is {raw.Length} bytes; the limit is 65536");
                continue;
            }

            if (!Validation.TryDecode(raw, out var text))
            {
                firstError ??= new(ErrorCodes.InvalidUtf8, $"field '{name}' is not valid UTF-8");
                continue;
            }

            if (!values.TryAdd(name, text))
            {
                firstError ??= new(ErrorCodes.InvalidField, $"field '{name}' appears more than once");
            }
        }

        // Read the correlation fields first: they decide whether an error can be delivered at all.
        var requestId = values.GetValueOrDefault(QueryRequestFields.RequestId);
        if (requestId is not null && (requestId.Length is 0 || requestId.Length > limits.MaxRequestIdLength || Validation.HasAnyControlCharacter(requestId)))
        {
            requestId = null;
            firstError ??= new(ErrorCodes.InvalidField, $"id must be 1 to {limits.MaxRequestIdLength} characters without control characters");
        }

        var replyTo = values.GetValueOrDefault(QueryRequestFields.ReplyTo);
        string? replyToProblem = replyTo is null ? "is required" : null;
        if (replyTo is not null && (replyTo.Length is 0 || replyTo.Length > limits.MaxReplyChannelLength || Validation.HasAnyControlCharacter(replyTo)))
        {
            replyTo = null;
            replyToProblem = $"must be 1 to {limits.MaxReplyChannelLength} characters without control characters";
        }

        ParsedQueryRequest Fail(string code, string message) => new(null, firstError ?? new ContractViolation(code, message), requestId, replyTo, traceParent);

        if (firstError is not null)
        {
            return Fail(firstError.Code, firstError.Message);
        }

        if (replyTo is null)
        {
            return Fail(replyToProblem == "is required" ? ErrorCodes.MissingField : ErrorCodes.InvalidField, $"field 'reply_to' {replyToProblem}");
        }

        if (requestId is null)
        {
            return Fail(ErrorCodes.MissingField, "field 'id' is required");
        }

        if (values.TryGetValue(QueryRequestFields.ContractVersion, out var v) && v != "1")
        {
            return Fail(ErrorCodes.UnsupportedVersion, $"contract version '{DocumentEventParser.Truncate(v)}' is not supported; this worker speaks v=1");
        }

        var query = values.GetValueOrDefault(QueryRequestFields.Query, "").Trim();
        if (query.Length == 0 && vector is null && values.GetValueOrDefault(QueryRequestFields.Mode) != "unwatch")
        {
            return Fail(ErrorCodes.EmptyQuery, "field 'query' (or 'vector') is required and must not be blank");
        }

        if (query.Length > limits.MaxQueryLength)
        {
            return Fail(ErrorCodes.TooLarge, $"query is {query.Length} characters; the limit is {limits.MaxQueryLength}");
        }

        // NUL, escape and the like are never part of a question; they only reach logs and the metrics stream.
        if (Validation.HasControlCharacters(query))
        {
            return Fail(ErrorCodes.InvalidField, "query must not contain control characters (tab, CR and LF are allowed)");
        }

        var k = DefaultK;
        if (values.TryGetValue(QueryRequestFields.K, out var kText)
            && (!int.TryParse(kText, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out k) || k < 1 || k > limits.MaxK))
        {
            return Fail(ErrorCodes.KOutOfRange, $"k must be a whole number from 1 to {limits.MaxK}, not '{DocumentEventParser.Truncate(kText)}'");
        }

        DateTimeOffset? deadline = null;
        if (values.TryGetValue(QueryRequestFields.Deadline, out var deadlineText))
        {
            if (!Validation.TryParseTime(deadlineText, out var d))
            {
                return Fail(ErrorCodes.InvalidField, $"deadline must be Unix milliseconds or ISO-8601, not '{DocumentEventParser.Truncate(deadlineText)}'");
            }

            deadline = d;
        }

        var tenant = values.GetValueOrDefault(QueryRequestFields.Tenant, DocumentEventParser.DefaultTenant);
        if (!Validation.IsLabel(tenant, 64))
        {
            return Fail(ErrorCodes.InvalidField, $"tenant must be {Validation.LabelRule(64)}");
        }

        QueryMode mode;
        switch (values.GetValueOrDefault(QueryRequestFields.Mode, "search"))
        {
            case "search": mode = QueryMode.Search; break;
            case "answer": mode = QueryMode.Answer; break;
            case "watch": mode = QueryMode.Watch; break;
            case "unwatch": mode = QueryMode.Unwatch; break;
            case var other: return Fail(ErrorCodes.InvalidField, $"mode must be 'search', 'answer', 'watch' or 'unwatch', not '{DocumentEventParser.Truncate(other)}'");
        }

        int? ef = null;
        if (values.TryGetValue(QueryRequestFields.Ef, out var efText))
        {
            if (!int.TryParse(efText, NumberStyles.None, CultureInfo.InvariantCulture, out var efValue) || efValue < 1 || efValue > limits.MaxEf)
            {
                return Fail(ErrorCodes.InvalidField, $"ef must be a whole number from 1 to {limits.MaxEf}");
            }

            ef = efValue;
        }

        var filters = QueryFilters.None;
        if (values.TryGetValue(QueryRequestFields.Filters, out var filtersJson) && filtersJson.Length > 0)
        {
            var error = ParseFilters(filtersJson, out filters);
            if (error is not null)
            {
                return new(null, error, requestId, replyTo, traceParent);
            }
        }

        if (ParseWatch(values, mode, out var watch, out var watchId) is { } watchError)
        {
            return new(null, watchError, requestId, replyTo, traceParent);
        }

        return new(new QueryRequest(requestId, query, k, filters, replyTo, deadline, tenant, mode, ef, vector is null ? (ReadOnlyMemory<float>?)null : vector, watch, watchId), null, requestId, replyTo, traceParent)
        {
            Token = values.GetValueOrDefault(QueryRequestFields.Token),
        };
    }
}
