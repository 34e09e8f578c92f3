using System.Text;
using StreamRag.Contracts;

namespace StreamRag.UnitTests;

public sealed class DocumentEventParserTests
{
    private static readonly DateTimeOffset EntryTime = DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000);
    private readonly DocumentEventParser parser = new(ContractLimits.Default with { MaxContentBytes = 1000 });

    private ParseResult<DocumentEvent> Parse(params (string Name, string Value)[] fields) =>
        parser.Parse(fields.Select(f => new KeyValuePair<string, ReadOnlyMemory<byte>>(f.Name, Encoding.UTF8.GetBytes(f.Value))), EntryTime);

    [Fact]
    public void Parse_MinimalUpsert_UsesDefaults()
    {
        var result = Parse(("id", "doc-1"), ("version", "3"), ("content", "hello world"));

        Assert.True(result.IsValid, result.Error?.ToString());
        var e = result.Value!;
        Assert.Equal(DocumentOperation.Upsert, e.Operation);
        Assert.Equal("doc-1", e.Id);
        Assert.Equal(3, e.Version);
        Assert.Equal("unknown", e.Source);
        Assert.Equal("default", e.Tenant);
        Assert.Equal(EntryTime, e.Timestamp);
        Assert.Empty(e.Tags);
        Assert.Null(e.ExpiresAt);
    }

    [Fact]
    public void Parse_ValueWithControlCharacters_IsQuotedEscapedInTheMessage()
    {
        var result = Parse(("id", "a"), ("version", "1"), ("content", "x"), ("tags", "\u001b[31mred\r\nFAKE LOG LINE"));

        Assert.Equal(ErrorCodes.InvalidField, result.Error!.Code);
        Assert.Contains("\\u001b[31mred", result.Error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(result.Error.Message, char.IsControl);
    }

    [Fact]
    public void Parse_FullUpsert_ReadsEveryField()
    {
        var result = Parse(("v", "1"), ("op", "upsert"), ("id", "a"), ("version", "10"), ("content", "text"), ("source", "crm"),
            ("timestamp", "2026-01-02T03:04:05Z"), ("tags", "x, y,x"), ("ttl", "60"), ("tenant", "acme"));

        Assert.True(result.IsValid, result.Error?.ToString());
        var e = result.Value!;
        Assert.Equal("crm", e.Source);
        Assert.Equal(new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero), e.Timestamp);
        Assert.Equal(["x", "y"], e.Tags);
        Assert.Equal(e.Timestamp.AddSeconds(60), e.ExpiresAt);
        Assert.Equal("acme", e.Tenant);
    }

    [Fact]
    public void Parse_TimestampInUnixMilliseconds_IsAccepted()
    {
        var result = Parse(("id", "a"), ("version", "1"), ("content", "t"), ("timestamp", "1700000000123"), ("expires_at", "1700000005000"));

        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_123), result.Value!.Timestamp);
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_005_000), result.Value!.ExpiresAt);
    }

    [Fact]
    public void Parse_DeleteWithoutContent_IsValid()
    {
        var result = Parse(("op", "delete"), ("id", "a"), ("version", "2"));

        Assert.True(result.IsValid);
        Assert.Equal(DocumentOperation.Delete, result.Value!.Operation);
    }

    [Theory]
    [InlineData("missing_field", "'id' is required", "version=1", "content=x")]
    [InlineData("missing_field", "'version' is required", "id=a", "content=x")]
    [InlineData("invalid_field", "version must be a non-negative integer", "id=a", "version=-1", "content=x")]
    [InlineData("invalid_field", "version must be a non-negative integer", "id=a", "version=1.5", "content=x")]
    [InlineData("invalid_field", "version must be a non-negative integer", "id=a", "version=abc", "content=x")]
    [InlineData("missing_field", "non-empty 'content'", "id=a", "version=1")]
    [InlineData("missing_field", "non-empty 'content'", "id=a", "version=1", "content=   ")]
    [InlineData("invalid_field", "op must be 'upsert' or 'delete'", "op=merge", "id=a", "version=1", "content=x")]
    [InlineData("unknown_field", "unknown field 'colour'", "id=a", "version=1", "content=x", "colour=red")]
    [InlineData("unsupported_version", "contract version '2'", "v=2", "id=a", "version=1", "content=x")]
    [InlineData("invalid_field", "source must be", "id=a", "version=1", "content=x", "source=a b")]
    [InlineData("invalid_field", "tag 'a\"b' is invalid", "id=a", "version=1", "content=x", "tags=a\"b")]
    [InlineData("invalid_field", "tenant must be", "id=a", "version=1", "content=x", "tenant={x}")]
    [InlineData("invalid_field", "timestamp must be", "id=a", "version=1", "content=x", "timestamp=yesterday")]
    [InlineData("invalid_field", "ttl must be", "id=a", "version=1", "content=x", "ttl=0")]
    [InlineData("invalid_field", "either 'ttl' or 'expires_at'", "id=a", "version=1", "content=x", "ttl=5", "expires_at=1700000000000")]
    [InlineData("invalid_field", "without control characters or '#'", "id=a#1", "version=1", "content=x")]
    [InlineData("invalid_field", "appears more than once", "id=a", "id=b", "version=1", "content=x")]
    public void Parse_BadField_GivesCodeAndClearMessage(string code, string message, params string[] fields)
    {
        var result = Parse(fields.Select(f => (f[..f.IndexOf('=', StringComparison.Ordinal)], f[(f.IndexOf('=', StringComparison.Ordinal) + 1)..])).ToArray());

        Assert.False(result.IsValid);
        Assert.Equal(code, result.Error!.Code);
        Assert.Contains(message, result.Error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_OversizeContent_IsTooLarge()
    {
        var result = Parse(("id", "a"), ("version", "1"), ("content", new string('x', 1001)));

        Assert.Equal(ErrorCodes.TooLarge, result.Error!.Code);
    }

    [Fact]
    public void Parse_InvalidUtf8_IsRejected()
    {
        var fields = new[]
        {
            new KeyValuePair<string, ReadOnlyMemory<byte>>("id", "a"u8.ToArray()),
            new KeyValuePair<string, ReadOnlyMemory<byte>>("version", "1"u8.ToArray()),
            new KeyValuePair<string, ReadOnlyMemory<byte>>("content", new byte[] { 0x68, 0xC3, 0x28 }),
        };

        var result = parser.Parse(fields, EntryTime);

        Assert.Equal(ErrorCodes.InvalidUtf8, result.Error!.Code);
        Assert.Contains("content", result.Error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_TooManyTags_IsRejected()
    {
        var result = Parse(("id", "a"), ("version", "1"), ("content", "x"), ("tags", string.Join(',', Enumerable.Range(0, 33))));

        Assert.Equal(ErrorCodes.InvalidField, result.Error!.Code);
    }
}

public sealed class DocumentEventParserEdgeTests
{
    private static readonly DocumentEventParser Parser = new(ContractLimits.Default);

    private static ParseResult<DocumentEvent> Parse(params (string Name, string Value)[] fields) =>
        Parser.Parse(fields.Select(f => new KeyValuePair<string, ReadOnlyMemory<byte>>(f.Name, Encoding.UTF8.GetBytes(f.Value))), DateTimeOffset.UnixEpoch);

    [Fact]
    public void Parse_VersionBeyondExactDoubles_IsRejected()
    {
        Assert.True(Parse(("id", "a"), ("version", "9007199254740991"), ("content", "x")).IsValid);
        Assert.Equal(ErrorCodes.InvalidField, Parse(("id", "a"), ("version", "9007199254740992"), ("content", "x")).Error!.Code);
    }

    [Theory]
    [InlineData("a\nb")]
    [InlineData("a\tb")]
    [InlineData("a\rb")]
    public void Parse_IdWithAnyControlCharacter_IsRejected(string id)
    {
        Assert.Equal(ErrorCodes.InvalidField, Parse(("id", id), ("version", "1"), ("content", "x")).Error!.Code);
    }

    [Theory]
    [InlineData("01/02/2025")]
    [InlineData("2 March 2025")]
    [InlineData("2025")]
    public void Parse_NonIsoDateText_IsRejectedOrReadAsMilliseconds(string timestamp)
    {
        var result = Parse(("id", "a"), ("version", "1"), ("content", "x"), ("timestamp", timestamp));

        // All digits means Unix milliseconds, documented; anything else must be ISO-8601.
        Assert.True(timestamp.All(char.IsDigit) ? result.IsValid : result.Error?.Code == ErrorCodes.InvalidField);
    }

    /// <summary>The two upserts of issue 12 that threw out of the parser and poisoned their batch forever.</summary>
    [Theory]
    [InlineData("253402300799999", "3153600000")]
    [InlineData("9999-12-31T23:59:59Z", "1")]
    [InlineData("9999-12-31T23:59:59.999Z", "1")]
    public void Parse_ExpiryPastYear9999_IsInvalidField_NotAnException(string timestamp, string ttl)
    {
        var result = Parse(("id", "a"), ("version", "1"), ("content", "x"), ("timestamp", timestamp), ("ttl", ttl));

        Assert.Equal(ErrorCodes.InvalidField, result.Error?.Code);
        Assert.Contains("ttl", result.Error!.Message, StringComparison.Ordinal);
        Assert.Contains("9999-12-31T23:59:59.999Z", result.Error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_ExpiryAtTheLastInstant_IsAccepted()
    {
        var result = Parse(("id", "a"), ("version", "1"), ("content", "x"), ("timestamp", "253402300798999"), ("ttl", "1"));

        Assert.True(result.IsValid, result.Error?.ToString());
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(253_402_300_799_999), result.Value!.ExpiresAt);
    }

    [Fact]
    public void Parse_TtlFromAnEntryTimeNearYear9999_IsInvalidField()
    {
        var fields = new (string Name, string Value)[] { ("id", "a"), ("version", "1"), ("content", "x"), ("ttl", "60") };

        var result = Parser.Parse(fields.Select(f => new KeyValuePair<string, ReadOnlyMemory<byte>>(f.Name, Encoding.UTF8.GetBytes(f.Value))), DateTimeOffset.MaxValue.AddSeconds(-1));

        Assert.Equal(ErrorCodes.InvalidField, result.Error?.Code);
    }

    [Theory]
    [InlineData("253402300800000")]
    [InlineData("9999-12-31T23:59:59-01:00")]
    [InlineData("0001-01-01T00:00:00+01:00")]
    [InlineData("10000-01-01T00:00:00Z")]
    public void Parse_TimestampOutsideYears1To9999_IsInvalidField(string timestamp)
    {
        var result = Parse(("id", "a"), ("version", "1"), ("content", "x"), ("timestamp", timestamp));

        Assert.Equal(ErrorCodes.InvalidField, result.Error?.Code);
        Assert.Contains("timestamp", result.Error!.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("253402300800000")]
    [InlineData("9999-12-31T23:59:59-00:01")]
    public void Parse_ExpiresAtPastYear9999_IsInvalidField(string expiresAt)
    {
        var result = Parse(("id", "a"), ("version", "1"), ("content", "x"), ("expires_at", expiresAt));

        Assert.Equal(ErrorCodes.InvalidField, result.Error?.Code);
    }
}
