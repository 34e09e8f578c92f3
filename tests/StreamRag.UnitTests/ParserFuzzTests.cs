using System.Globalization;
using System.Text;
using FsCheck;
using FsCheck.Fluent;
using StreamRag.Contracts;

namespace StreamRag.UnitTests;

/// <summary>
/// Property tests of the wire boundary: whatever the fields of an entry, <c>Parse</c> returns a value
/// or a violation and never throws. The generators lean on what broke the fleet before (times at and
/// past year 9999, ttl and offsets that carry a time over the edge, lone surrogates in JSON) and
/// mix in arbitrary names, text and bytes.
/// </summary>
public sealed class ParserFuzzTests
{
    private const int Runs = 3000;

    private static readonly Config Fuzz = Config.QuickThrowOnFailure.WithMaxTest(Runs).WithQuietOnSuccess(true);

    private static readonly string[] EdgeTimes =
    [
        "0", "-1", "1", "253402300799999", "253402300800000", "9223372036854775807", "-9223372036854775808", "99999999999999999999",
        "9999-12-31T23:59:59Z", "9999-12-31T23:59:59.999Z", "9999-12-31T23:59:59.9999999Z", "9999-12-31T23:59:59-01:00",
        "9999-12-31T23:59:59+14:00", "9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00Z", "0001-01-01T00:00:00+01:00",
        "0001-01-01T00:00:00-01:00", "10000-01-01T00:00:00Z", "2025-13-45T99:99:99Z", "2025-02-30T00:00:00Z", "1969-12-31T23:59:59Z",
        "2025-01-15", "2025-01-15T10:00:00", " 2025-01-15T10:00:00Z", "2025-01-15T10:00:00Z ", "1e3", "0x10", "+5", "", " ",
    ];

    /// <summary>Valid traceparents and near misses: each must be read or ignored, never refuse an entry.</summary>
    private static Gen<string> TraceParents { get; } = Gen.OneOf(
        Gen.Elements(
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00",
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00F067AA0BA902B7-01", "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7", "", "-"),
        Gen.ArrayOf(Gen.Elements("0123456789abcdef-".ToCharArray()), 55).Select(chars => new string(chars)));

    private static readonly string[] EdgeTtls = ["0", "1", "59", "3153600000", "3153600001", "-1", "+1", "9223372036854775807", "1.5", "", "٣"];

    private static Gen<long> Longs { get; } =
        Gen.Choose(int.MinValue, int.MaxValue).SelectMany(hi => Gen.Choose(int.MinValue, int.MaxValue).Select(lo => ((long)hi << 32) ^ (uint)lo));

    private static Gen<string> Text { get; } =
        Gen.Choose(0, 40).SelectMany(n => Gen.ArrayOf(Gen.Frequency(
            (8, Gen.Choose(' ', '~').Select(c => (char)c)),
            (1, Gen.Choose(0, 0x1f).Select(c => (char)c)),
            (1, Gen.Choose(0x80, 0xFFFF).Select(c => (char)c))), n)).Select(chars => new string(chars));

    private static Gen<string> Times { get; } = Gen.Frequency(
        (3, Gen.Elements(EdgeTimes)),
        (2, Gen.Choose(0, 100_000_000).Select(back => (253_402_300_799_999L - back).ToString(CultureInfo.InvariantCulture))),
        (1, Longs.Select(ms => ms.ToString(CultureInfo.InvariantCulture))),
        (2, Gen.Choose(-10_000, 10_000).SelectMany(offset => Gen.Elements(1, 1969, 1970, 2025, 9998, 9999).Select(year => $"{year:0000}-12-31T23:59:59{Offset(offset)}"))),
        (1, Text));

    private static Gen<string> Ttls { get; } = Gen.Frequency(
        (3, Gen.Elements(EdgeTtls)),
        (2, Gen.Choose(1, int.MaxValue).Select(n => (n * 2L).ToString(CultureInfo.InvariantCulture))),
        (1, Longs.Select(n => n.ToString(CultureInfo.InvariantCulture))),
        (1, Text));

    private static string Offset(int minutes) =>
        minutes == 0 ? "Z" : $"{(minutes < 0 ? '-' : '+')}{Math.Abs(minutes) / 60 % 100:00}:{Math.Abs(minutes) % 60:00}";

    private static Gen<byte[]> Bytes { get; } =
        Gen.Choose(0, 64).SelectMany(n => Gen.ArrayOf(Gen.Choose(0, 255).Select(b => (byte)b), n));

    /// <summary>Entry times as the embedder passes them: from the epoch to the last millisecond of 9999.</summary>
    private static Gen<DateTimeOffset> EntryTimes { get; } = Gen.OneOf(
        Gen.Elements(DateTimeOffset.UnixEpoch, DateTimeOffset.MaxValue, DateTimeOffset.FromUnixTimeMilliseconds(253_402_300_799_999), DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000)),
        Longs.Select(ms => DateTimeOffset.FromUnixTimeMilliseconds(Math.Abs(ms % 253_402_300_800_000))));

    private static Gen<KeyValuePair<string, ReadOnlyMemory<byte>>> Field(string[] known, Func<string, Gen<string>> valueFor) =>
        Gen.Frequency((9, Gen.Elements(known)), (1, Text)).SelectMany(name =>
            Gen.Frequency(
                    (8, valueFor(name).Select(v => (ReadOnlyMemory<byte>)Encoding.UTF8.GetBytes(v))),
                    (1, Bytes.Select(b => (ReadOnlyMemory<byte>)b)))
                .Select(value => new KeyValuePair<string, ReadOnlyMemory<byte>>(name, value)));

    private static Gen<string> DocumentValue(string name) => name switch
    {
        DocumentEventFields.Timestamp or DocumentEventFields.ExpiresAt => Times,
        DocumentEventFields.TtlSeconds => Ttls,
        DocumentEventFields.Version => Gen.OneOf(Gen.Elements("0", "1", "9007199254740991", "9007199254740992", "-1", "01"), Longs.Select(n => n.ToString(CultureInfo.InvariantCulture))),
        DocumentEventFields.Operation => Gen.Elements("upsert", "delete", "UPSERT", "", "remove"),
        DocumentEventFields.Id => Gen.OneOf(Gen.Elements("doc-1", "a#b", "", new string('x', 300)), Text),
        DocumentEventFields.Tags => Gen.OneOf(Gen.Elements("a,b", ",,,", "a, a ,b", string.Join(',', Enumerable.Range(0, 40))), Text),
        DocumentEventFields.ContractVersion => Gen.Elements("1", "2", ""),
        DocumentEventFields.TraceParent => TraceParents,
        _ => Gen.OneOf(Gen.Elements("wiki", "hello world", "", "   "), Text),
    };

    private static readonly string[] DocumentFieldNames =
    [
        DocumentEventFields.ContractVersion, DocumentEventFields.Operation, DocumentEventFields.Id, DocumentEventFields.Version,
        DocumentEventFields.Content, DocumentEventFields.Source, DocumentEventFields.Timestamp, DocumentEventFields.Tags,
        DocumentEventFields.TtlSeconds, DocumentEventFields.ExpiresAt, DocumentEventFields.Tenant, DocumentEventFields.TraceParent,
    ];

    private static KeyValuePair<string, ReadOnlyMemory<byte>> Utf8(string name, string value) => new(name, Encoding.UTF8.GetBytes(value));

    /// <summary>Valid upserts but for their times: a timestamp, a ttl or an expiry, each near or past the edges.</summary>
    private static Gen<KeyValuePair<string, ReadOnlyMemory<byte>>[]> TimedUpserts { get; } =
        Gen.OneOf(Gen.Constant<string?>(null), Times.Select(t => (string?)t)).SelectMany(timestamp =>
            Gen.OneOf(
                    Gen.Constant<KeyValuePair<string, ReadOnlyMemory<byte>>?>(null),
                    Ttls.Select(t => (KeyValuePair<string, ReadOnlyMemory<byte>>?)Utf8(DocumentEventFields.TtlSeconds, t)),
                    Times.Select(t => (KeyValuePair<string, ReadOnlyMemory<byte>>?)Utf8(DocumentEventFields.ExpiresAt, t)))
                .Select(expiry => new[] { Utf8(DocumentEventFields.Id, "doc"), Utf8(DocumentEventFields.Version, "1"), Utf8(DocumentEventFields.Content, "text") }
                    .Concat(timestamp is null ? [] : [Utf8(DocumentEventFields.Timestamp, timestamp)])
                    .Concat(expiry is { } e ? [e] : [])
                    .ToArray()));

    /// <summary>Timed upserts, and mostly well-formed upserts (id, version, content) with a few more arbitrary fields, so deep checks are reached.</summary>
    private static Gen<KeyValuePair<string, ReadOnlyMemory<byte>>[]> DocumentEntries => Gen.OneOf(TimedUpserts, ArbitraryDocumentEntries);

    private static Gen<KeyValuePair<string, ReadOnlyMemory<byte>>[]> ArbitraryDocumentEntries { get; } =
        Gen.Choose(0, 6).SelectMany(n => Gen.ArrayOf(Field(DocumentFieldNames, DocumentValue), n)).SelectMany(extra =>
            Gen.Elements(true, false).Select(wellFormed => wellFormed
                ?
                [
                    new(DocumentEventFields.Id, Encoding.UTF8.GetBytes("doc")),
                    new(DocumentEventFields.Version, Encoding.UTF8.GetBytes("1")),
                    new(DocumentEventFields.Content, Encoding.UTF8.GetBytes("some text")),
                    .. extra.Where(f => f.Key is not (DocumentEventFields.Id or DocumentEventFields.Version or DocumentEventFields.Content)).DistinctBy(f => f.Key),
                ]
                : extra));

    [Fact]
    public void DocumentEventParser_AnyFields_NeverThrows_AndEveryExpiryIsARealTime()
    {
        var parser = new DocumentEventParser(ContractLimits.Default);
        var cases = Gen.Zip(DocumentEntries, EntryTimes).ToArbitrary();
        Check.One(Fuzz, Prop.ForAll(cases, c =>
        {
            var (fields, entryTime) = c;
            var result = parser.Parse(fields, entryTime);
            // A traceparent, valid or not, never decides the outcome.
            if (parser.Parse(fields.Where(f => f.Key != DocumentEventFields.TraceParent), entryTime).Error?.Code != result.Error?.Code)
            {
                return false;
            }

            if (!result.IsValid)
            {
                return result.Error!.Code.Length > 0 && result.Error.Message.Length > 0;
            }

            // A ttl is counted from the timestamp, exactly.
            var ttl = fields.FirstOrDefault(f => f.Key == DocumentEventFields.TtlSeconds);
            return ttl.Key is null || result.Value!.ExpiresAt == result.Value.Timestamp.AddSeconds(long.Parse(Encoding.UTF8.GetString(ttl.Value.Span), CultureInfo.InvariantCulture));
        }));
    }

    private static Gen<string> Filters { get; } = Gen.OneOf(
        Gen.Elements(
            "{}", "[]", "null", "{\"sources\":[\"\\ud800\"]}", "{\"\\udc00\":1}", "{\"tags_any\":[\"a\\ud83d\"]}", "{\"from\":\"\\ud800\"}",
            "{\"from\":253402300800000}", "{\"to\":-1}", "{\"from\":1e400}", "{\"from\":\"9999-12-31T23:59:59-01:00\"}",
            "{\"from\":2,\"to\":1}", "{\"a\":{\"b\":{\"c\":{\"d\":{\"e\":1}}}}}", "{\"sources\":[[[[[]]]]]}", "{\"sources\":\"wiki\"}",
            "{\"sources\":[1,2]}", "{\"sources\":[\"wiki\"],\"sources\":[\"crm\"]}", "{", "\"\\u0000\""),
        Gen.Elements("from", "to").SelectMany(key => Times.Select(t => $"{{\"{key}\":\"{t.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal)}\"}}")),
        Gen.Elements("from", "to").SelectMany(key => Longs.Select(ms => $"{{\"{key}\":{ms.ToString(CultureInfo.InvariantCulture)}}}")),
        Text);

    private static Gen<string> QueryValue(string name) => name switch
    {
        QueryRequestFields.Deadline => Times,
        QueryRequestFields.Filters => Filters,
        QueryRequestFields.K or QueryRequestFields.Ef => Gen.OneOf(Gen.Elements("0", "1", "100", "101", "4096", "4097", "-5", "2147483648"), Text),
        QueryRequestFields.Mode => Gen.Elements("search", "answer", "SEARCH", ""),
        QueryRequestFields.TraceParent => TraceParents,
        QueryRequestFields.RequestId or QueryRequestFields.ReplyTo => Gen.OneOf(Gen.Elements("r1", "chan", "", new string('c', 300)), Text),
        _ => Gen.OneOf(Gen.Elements("bees", "", "  ", new string('q', 2001)), Text),
    };

    private static readonly string[] QueryFieldNames =
    [
        QueryRequestFields.ContractVersion, QueryRequestFields.RequestId, QueryRequestFields.Query, QueryRequestFields.K, QueryRequestFields.Filters,
        QueryRequestFields.ReplyTo, QueryRequestFields.Deadline, QueryRequestFields.Tenant, QueryRequestFields.Mode, QueryRequestFields.Ef,
        QueryRequestFields.Vector, QueryRequestFields.TraceParent,
    ];

    private static Gen<KeyValuePair<string, ReadOnlyMemory<byte>>[]> QueryEntries { get; } =
        Gen.Choose(0, 6).SelectMany(n => Gen.ArrayOf(Field(QueryFieldNames, QueryValue), n)).SelectMany(extra =>
            Gen.Elements(true, false).Select(wellFormed => wellFormed
                ?
                [
                    new(QueryRequestFields.RequestId, Encoding.UTF8.GetBytes("r1")),
                    new(QueryRequestFields.ReplyTo, Encoding.UTF8.GetBytes("chan")),
                    new(QueryRequestFields.Query, Encoding.UTF8.GetBytes("bees")),
                    .. extra.Where(f => f.Key is not (QueryRequestFields.RequestId or QueryRequestFields.ReplyTo or QueryRequestFields.Query)).DistinctBy(f => f.Key),
                ]
                : extra));

    [Fact]
    public void QueryRequestParser_AnyFields_NeverThrows()
    {
        var parser = new QueryRequestParser(ContractLimits.Default);
        Check.One(Fuzz, Prop.ForAll(QueryEntries.ToArbitrary(), fields =>
        {
            var parsed = parser.Parse(fields);
            // A traceparent, valid or not, never decides the outcome.
            var untraced = parser.Parse(fields.Where(f => f.Key != QueryRequestFields.TraceParent));
            return (parsed.Request is null) != (parsed.Error is null) && (parsed.Error?.Code == untraced.Error?.Code);
        }));
    }

    [Fact]
    public void QueryRequestParser_AnyFiltersJson_NeverThrows()
    {
        var parser = new QueryRequestParser(ContractLimits.Default);
        Check.One(Fuzz, Prop.ForAll(Filters.ToArbitrary(), json =>
        {
            var error = parser.ParseFilters(json, out var filters);
            return error is not null || filters is not null;
        }));
    }
}
