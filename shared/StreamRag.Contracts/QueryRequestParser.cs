using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace StreamRag.Contracts;

/// <summary>
/// The outcome of parsing a query request. Even an invalid request keeps what could be read of its
/// id and reply channel, so the worker can still send the caller a structured error, and its trace
/// context (null when absent or not a valid traceparent), so that error is traced too.
/// </summary>
public sealed record ParsedQueryRequest(QueryRequest? Request, ContractViolation? Error, string? RequestId, string? ReplyTo, ActivityContext? TraceParent = null);

/// <summary>Turns the raw fields of a query-request stream entry into a <see cref="QueryRequest"/>.</summary>
public sealed class QueryRequestParser(ContractLimits limits)
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
        if (query.Length == 0 && vector is null)
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
            case var other: return Fail(ErrorCodes.InvalidField, $"mode must be 'search' or 'answer', not '{DocumentEventParser.Truncate(other)}'");
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

        return new(new QueryRequest(requestId, query, k, filters, replyTo, deadline, tenant, mode, ef, vector is null ? (ReadOnlyMemory<float>?)null : vector), null, requestId, replyTo, traceParent);
    }

    /// <summary>Parses a <c>filters</c> JSON object (as in a request, or on a sampled query-metrics entry); null when valid.</summary>
    public ContractViolation? ParseFilters(string json, out QueryFilters filters)
    {
        filters = QueryFilters.None;
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 4 });
        }
        catch (JsonException ex)
        {
            return new(ErrorCodes.BadJson, $"filters is not valid JSON: {ex.Message}");
        }
        catch (ArgumentException ex)
        {
            // Text that is not valid UTF-16 (a lone surrogate): never from the wire, whose bytes
            // are strictly decoded, but a caller of this method may pass any string.
            return new(ErrorCodes.BadJson, $"filters is not valid text: {ex.Message}");
        }

        using (document)
        {
            try
            {
                return ReadFilters(document.RootElement, out filters);
            }
            catch (InvalidOperationException ex)
            {
                // A string escape that is not valid UTF-16 (a lone surrogate such as "\ud800")
                // passes JsonDocument.Parse and fails only when the string is read.
                return new(ErrorCodes.BadJson, $"filters holds a string that is not valid text: {ex.Message}");
            }
        }
    }

    private ContractViolation? ReadFilters(JsonElement root, out QueryFilters filters)
    {
        filters = QueryFilters.None;
        if (root.ValueKind != JsonValueKind.Object)
        {
            return new(ErrorCodes.BadJson, "filters must be a JSON object");
        }

        IReadOnlyList<string> sources = [], tagsAny = [], tagsAll = [];
        DateTimeOffset? from = null, to = null;
        foreach (var property in root.EnumerateObject())
        {
            ContractViolation? error = null;
            switch (property.Name)
            {
                case QueryFilterFields.Sources: error = ReadLabels(property, limits.MaxSourceLength, out sources); break;
                case QueryFilterFields.TagsAny: error = ReadLabels(property, limits.MaxTagLength, out tagsAny); break;
                case QueryFilterFields.TagsAll: error = ReadLabels(property, limits.MaxTagLength, out tagsAll); break;
                case QueryFilterFields.From: error = ReadTime(property, out from); break;
                case QueryFilterFields.To: error = ReadTime(property, out to); break;
                default:
                    return new(ErrorCodes.UnknownFilter,
                        $"unknown filter '{DocumentEventParser.Truncate(property.Name)}'; known filters: sources, tags_any, tags_all, from, to");
            }

            if (error is not null)
            {
                return error;
            }
        }

        if (from is not null && to is not null && from > to)
        {
            return new(ErrorCodes.InvalidField, "filter 'from' is after 'to'");
        }

        filters = new QueryFilters(sources, tagsAny, tagsAll, from, to);
        return null;
    }

    private ContractViolation? ReadLabels(JsonProperty property, int maxLength, out IReadOnlyList<string> labels)
    {
        labels = [];
        if (property.Value.ValueKind != JsonValueKind.Array)
        {
            return new(ErrorCodes.InvalidField, $"filter '{property.Name}' must be an array of strings");
        }

        var list = new List<string>();
        foreach (var item in property.Value.EnumerateArray())
        {
            var text = item.ValueKind == JsonValueKind.String ? item.GetString() : null;
            if (text is null || !Validation.IsLabel(text, maxLength))
            {
                return new(ErrorCodes.InvalidField, $"filter '{property.Name}' values must be strings of {Validation.LabelRule(maxLength)}");
            }

            if (list.Count == limits.MaxFilterValues)
            {
                return new(ErrorCodes.TooLarge, $"filter '{property.Name}' has more than {limits.MaxFilterValues} values");
            }

            list.Add(text);
        }

        labels = list.Distinct(StringComparer.Ordinal).ToArray();
        return null;
    }

    private static ContractViolation? ReadTime(JsonProperty property, out DateTimeOffset? time)
    {
        time = null;
        var text = property.Value.ValueKind switch
        {
            JsonValueKind.Number => property.Value.GetRawText(),
            JsonValueKind.String => property.Value.GetString(),
            _ => null,
        };
        if (text is null || !Validation.TryParseTime(text, out var parsed))
        {
            return new(ErrorCodes.InvalidField, $"filter '{property.Name}' must be Unix milliseconds or an ISO-8601 string");
        }

        time = parsed;
        return null;
    }
}
