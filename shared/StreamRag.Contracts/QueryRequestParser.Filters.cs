using System.Text.Json;

namespace StreamRag.Contracts;

public sealed partial class QueryRequestParser
{
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
