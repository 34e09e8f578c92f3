using System.Globalization;

namespace StreamRag.Contracts;

/// <summary>
/// Turns the raw fields of a document-events stream entry into a <see cref="DocumentEvent"/>,
/// or a <see cref="ContractViolation"/> that says exactly which field is wrong.
/// </summary>
public sealed class DocumentEventParser(ContractLimits limits)
{
    public const string DefaultTenant = "default";

    /// <summary>Largest version: the index compares versions in Lua, whose numbers are doubles (exact up to 2^53).</summary>
    public const long MaxVersion = (1L << 53) - 1;

    /// <param name="fields">Field name and raw value bytes, in stream order.</param>
    /// <param name="entryTime">The default timestamp: the stream entry's own time (from its id), or when it was taken up if its id does not say.</param>
    public ParseResult<DocumentEvent> Parse(IEnumerable<KeyValuePair<string, ReadOnlyMemory<byte>>> fields, DateTimeOffset entryTime)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        System.Diagnostics.ActivityContext? traceParent = null;
        foreach (var (name, raw) in fields)
        {
            if (!DocumentEventFields.Known.Contains(name))
            {
                return ParseResult<DocumentEvent>.Fail(ErrorCodes.UnknownField, $"unknown field '{Truncate(name)}'; known fields: {string.Join(", ", DocumentEventFields.Known)}");
            }

            if (name == DocumentEventFields.TraceParent)
            {
                // Never a reason to refuse an event: an invalid (or a second) traceparent is ignored.
                traceParent ??= TraceParent.Parse(raw.Span);
                continue;
            }

            if (name == DocumentEventFields.Content && raw.Length > limits.MaxContentBytes)
            {
                return ParseResult<DocumentEvent>.Fail(ErrorCodes.TooLarge, $"content is {raw.Length} bytes; the limit is {limits.MaxContentBytes}");
            }

            if (!Validation.TryDecode(raw, out var text))
            {
                return ParseResult<DocumentEvent>.Fail(ErrorCodes.InvalidUtf8, $"field '{name}' is not valid UTF-8");
            }

            if (!values.TryAdd(name, text))
            {
                return ParseResult<DocumentEvent>.Fail(ErrorCodes.InvalidField, $"field '{name}' appears more than once");
            }
        }

        if (values.TryGetValue(DocumentEventFields.ContractVersion, out var v) && v != "1")
        {
            return ParseResult<DocumentEvent>.Fail(ErrorCodes.UnsupportedVersion, $"contract version '{Truncate(v)}' is not supported; this worker speaks v=1");
        }

        DocumentOperation op;
        switch (values.GetValueOrDefault(DocumentEventFields.Operation, "upsert"))
        {
            case "upsert": op = DocumentOperation.Upsert; break;
            case "delete": op = DocumentOperation.Delete; break;
            case var other: return ParseResult<DocumentEvent>.Fail(ErrorCodes.InvalidField, $"op must be 'upsert' or 'delete', not '{Truncate(other)}'");
        }

        if (!values.TryGetValue(DocumentEventFields.Id, out var id) || id.Length == 0)
        {
            return ParseResult<DocumentEvent>.Fail(ErrorCodes.MissingField, "field 'id' is required");
        }

        if (id.Length > limits.MaxDocumentIdLength || Validation.HasAnyControlCharacter(id) || id.Contains('#', StringComparison.Ordinal))
        {
            return ParseResult<DocumentEvent>.Fail(ErrorCodes.InvalidField, $"id must be 1 to {limits.MaxDocumentIdLength} characters without control characters or '#'");
        }

        if (!values.TryGetValue(DocumentEventFields.Version, out var versionText))
        {
            return ParseResult<DocumentEvent>.Fail(ErrorCodes.MissingField, "field 'version' is required (a non-negative integer that grows with every change)");
        }

        if (!long.TryParse(versionText, NumberStyles.None, CultureInfo.InvariantCulture, out var version) || version > MaxVersion)
        {
            return ParseResult<DocumentEvent>.Fail(ErrorCodes.InvalidField, $"version must be a non-negative integer up to 2^53-1, not '{Truncate(versionText)}'");
        }

        var content = values.GetValueOrDefault(DocumentEventFields.Content, "");
        if (op == DocumentOperation.Upsert && string.IsNullOrWhiteSpace(content))
        {
            return ParseResult<DocumentEvent>.Fail(ErrorCodes.MissingField, "an upsert needs non-empty 'content'");
        }

        var source = values.GetValueOrDefault(DocumentEventFields.Source, "unknown");
        if (!Validation.IsLabel(source, limits.MaxSourceLength))
        {
            return ParseResult<DocumentEvent>.Fail(ErrorCodes.InvalidField, $"source must be {Validation.LabelRule(limits.MaxSourceLength)}");
        }

        var tenant = values.GetValueOrDefault(DocumentEventFields.Tenant, DefaultTenant);
        if (!Validation.IsLabel(tenant, 64))
        {
            return ParseResult<DocumentEvent>.Fail(ErrorCodes.InvalidField, $"tenant must be {Validation.LabelRule(64)}");
        }

        var timestamp = entryTime;
        if (values.TryGetValue(DocumentEventFields.Timestamp, out var tsText) && !Validation.TryParseTime(tsText, out timestamp))
        {
            return ParseResult<DocumentEvent>.Fail(ErrorCodes.InvalidField, $"timestamp must be Unix milliseconds or ISO-8601, not '{Truncate(tsText)}'");
        }

        var tags = Array.Empty<string>();
        if (values.TryGetValue(DocumentEventFields.Tags, out var tagsText) && tagsText.Length > 0)
        {
            tags = tagsText.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Distinct(StringComparer.Ordinal).ToArray();
            if (tags.Length > limits.MaxTags)
            {
                return ParseResult<DocumentEvent>.Fail(ErrorCodes.InvalidField, $"at most {limits.MaxTags} tags are allowed");
            }

            var bad = tags.FirstOrDefault(t => !Validation.IsLabel(t, limits.MaxTagLength));
            if (bad is not null)
            {
                return ParseResult<DocumentEvent>.Fail(ErrorCodes.InvalidField, $"tag '{Truncate(bad)}' is invalid: each tag must be {Validation.LabelRule(limits.MaxTagLength)}");
            }
        }

        DateTimeOffset? expiresAt = null;
        if (values.TryGetValue(DocumentEventFields.ExpiresAt, out var expText))
        {
            if (!Validation.TryParseTime(expText, out var exp))
            {
                return ParseResult<DocumentEvent>.Fail(ErrorCodes.InvalidField, $"expires_at must be Unix milliseconds or ISO-8601, not '{Truncate(expText)}'");
            }

            expiresAt = exp;
        }

        if (values.TryGetValue(DocumentEventFields.TtlSeconds, out var ttlText))
        {
            if (expiresAt is not null)
            {
                return ParseResult<DocumentEvent>.Fail(ErrorCodes.InvalidField, "give either 'ttl' or 'expires_at', not both");
            }

            if (!long.TryParse(ttlText, NumberStyles.None, CultureInfo.InvariantCulture, out var ttl) || ttl is < 1 or > 100L * 365 * 24 * 3600)
            {
                return ParseResult<DocumentEvent>.Fail(ErrorCodes.InvalidField, $"ttl must be a whole number of seconds from 1 to 100 years, not '{Truncate(ttlText)}'");
            }

            // Counted from the event's timestamp, so a redelivered event expires at the same instant.
            // Checked in ticks first: past year 9999 there is no instant to expire at.
            if (timestamp.UtcTicks > DateTimeOffset.MaxValue.UtcTicks - (ttl * TimeSpan.TicksPerSecond))
            {
                return ParseResult<DocumentEvent>.Fail(ErrorCodes.InvalidField,
                    $"ttl {ttl} s after the timestamp {timestamp.ToString("O", CultureInfo.InvariantCulture)} is past {Validation.LatestTimeText}, the latest time there is");
            }

            expiresAt = timestamp.AddSeconds(ttl);
        }

        return ParseResult<DocumentEvent>.Ok(new DocumentEvent(op, id, version, content, source, timestamp, tags, expiresAt, tenant, traceParent, values.GetValueOrDefault(DocumentEventFields.Token)));
    }

    /// <summary>
    /// A caller's value as quoted in an error message: at most 64 characters, control characters
    /// escaped, so a crafted value cannot rewrite a terminal or forge log lines where it is shown.
    /// </summary>
    public static string Truncate(string value)
    {
        var shown = value.Length <= 64 ? value : string.Concat(value.AsSpan(0, 64), "…");
        return shown.Any(char.IsControl)
            ? string.Concat(shown.Select(c => char.IsControl(c) ? $"\\u{(int)c:x4}" : c.ToString()))
            : shown;
    }
}
