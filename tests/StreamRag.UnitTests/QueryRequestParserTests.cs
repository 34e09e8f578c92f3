using System.Text;
using StreamRag.Contracts;

namespace StreamRag.UnitTests;

public sealed class QueryRequestParserTests
{
    private readonly QueryRequestParser parser = new(ContractLimits.Default);

    private ParsedQueryRequest Parse(params (string Name, string Value)[] fields) =>
        parser.Parse(fields.Select(f => new KeyValuePair<string, ReadOnlyMemory<byte>>(f.Name, Encoding.UTF8.GetBytes(f.Value))));

    [Fact]
    public void Parse_MinimalRequest_UsesDefaults()
    {
        var parsed = Parse(("id", "r1"), ("query", " bees "), ("reply_to", "chan"));

        Assert.Null(parsed.Error);
        var r = parsed.Request!;
        Assert.Equal("r1", r.RequestId);
        Assert.Equal("bees", r.Query);
        Assert.Equal(QueryRequestParser.DefaultK, r.K);
        Assert.True(r.Filters.IsEmpty);
        Assert.Equal("default", r.Tenant);
        Assert.Equal(QueryMode.Search, r.Mode);
        Assert.Null(r.Deadline);
        Assert.Null(r.Ef);
    }

    [Fact]
    public void Parse_Filters_AreRead()
    {
        var parsed = Parse(("id", "r"), ("query", "q"), ("reply_to", "c"), ("k", "5"), ("mode", "answer"), ("ef", "200"), ("deadline", "1700000000000"),
            ("filters", """{"sources":["a","b"],"tags_any":["x"],"tags_all":["y","z"],"from":1000,"to":"2026-01-01T00:00:00Z"}"""));

        Assert.Null(parsed.Error);
        var r = parsed.Request!;
        Assert.Equal(5, r.K);
        Assert.Equal(QueryMode.Answer, r.Mode);
        Assert.Equal(200, r.Ef);
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000), r.Deadline);
        Assert.Equal(["a", "b"], r.Filters.Sources);
        Assert.Equal(["x"], r.Filters.TagsAny);
        Assert.Equal(["y", "z"], r.Filters.TagsAll);
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1000), r.Filters.From);
        Assert.Equal(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero), r.Filters.To);
    }

    [Theory]
    [InlineData("empty_query", "query=")]
    [InlineData("invalid_field", "query=bees\u0000honey")]
    [InlineData("invalid_field", "query=bees\u001b[2J")]
    [InlineData("empty_query", "query=   ")]
    [InlineData("k_out_of_range", "query=q", "k=0")]
    [InlineData("k_out_of_range", "query=q", "k=-3")]
    [InlineData("k_out_of_range", "query=q", "k=101")]
    [InlineData("k_out_of_range", "query=q", "k=ten")]
    [InlineData("unknown_filter", "query=q", "filters={\"colour\":[\"red\"]}")]
    [InlineData("bad_json", "query=q", "filters={not json")]
    [InlineData("bad_json", "query=q", "filters=[1,2]")]
    [InlineData("bad_json", "query=q", "filters={\"sources\":[[[[[[1]]]]]]}")]
    [InlineData("invalid_field", "query=q", "filters={\"sources\":[\"x\\\" or 1\"]}")]
    [InlineData("invalid_field", "query=q", "filters={\"sources\":\"x\"}")]
    [InlineData("invalid_field", "query=q", "filters={\"from\":true}")]
    [InlineData("invalid_field", "query=q", "filters={\"from\":2000,\"to\":1000}")]
    [InlineData("invalid_field", "query=q", "mode=chat")]
    [InlineData("invalid_field", "query=q", "ef=0")]
    [InlineData("invalid_field", "query=q", "deadline=soon")]
    [InlineData("invalid_field", "query=q", "tenant=a b")]
    [InlineData("unknown_field", "query=q", "colour=red")]
    [InlineData("unsupported_version", "query=q", "v=9")]
    public void Parse_BadRequest_KeepsCorrelationAndGivesCode(string code, params string[] fields)
    {
        var all = fields.Select(f => (f[..f.IndexOf('=', StringComparison.Ordinal)], f[(f.IndexOf('=', StringComparison.Ordinal) + 1)..]))
            .Append(("id", "r9")).Append(("reply_to", "chan")).ToArray();

        var parsed = Parse(all);

        Assert.Null(parsed.Request);
        Assert.Equal(code, parsed.Error!.Code);
        Assert.False(string.IsNullOrWhiteSpace(parsed.Error.Message));
        Assert.Equal("r9", parsed.RequestId);
        Assert.Equal("chan", parsed.ReplyTo);
    }

    [Fact]
    public void Parse_OversizeQuery_IsTooLarge()
    {
        var parsed = Parse(("id", "r"), ("query", new string('a', 2001)), ("reply_to", "c"));

        Assert.Equal(ErrorCodes.TooLarge, parsed.Error!.Code);
    }

    [Fact]
    public void Parse_MissingReplyTo_HasNoReplyChannel()
    {
        var parsed = Parse(("id", "r"), ("query", "q"));

        Assert.Null(parsed.ReplyTo);
        Assert.Equal(ErrorCodes.MissingField, parsed.Error!.Code);
    }

    [Fact]
    public void Parse_MissingId_StillKnowsWhereToReply()
    {
        var parsed = Parse(("query", "q"), ("reply_to", "c"));

        Assert.Equal("c", parsed.ReplyTo);
        Assert.Equal(ErrorCodes.MissingField, parsed.Error!.Code);
    }
}

public sealed class QueryRequestVectorTests
{
    private static ParsedQueryRequest Parse(params (string Name, byte[] Value)[] fields) =>
        new QueryRequestParser(ContractLimits.Default).Parse(fields.Select(f => new KeyValuePair<string, ReadOnlyMemory<byte>>(f.Name, f.Value)));

    [Fact]
    public void Parse_TextOnly_HasNoVector()
    {
        Assert.Null(Parse(("id", "r"u8.ToArray()), ("query", "bees"u8.ToArray()), ("reply_to", "c"u8.ToArray())).Request!.Vector);
    }

    [Fact]
    public void Parse_ReadyVector_NeedsNoText()
    {
        var bytes = new byte[16];
        BitConverter.GetBytes(1.5f).CopyTo(bytes, 4);

        var request = Parse(("id", "r"u8.ToArray()), ("vector", bytes), ("reply_to", "c"u8.ToArray())).Request!;

        Assert.Equal([0f, 1.5f, 0f, 0f], request.Vector!.Value.ToArray());
    }

    [Theory]
    [InlineData(3)]
    [InlineData(0)]
    public void Parse_VectorOfWrongByteLength_IsInvalid(int length)
    {
        var parsed = Parse(("id", "r"u8.ToArray()), ("vector", new byte[length]), ("reply_to", "c"u8.ToArray()));

        Assert.Equal(ErrorCodes.InvalidField, parsed.Error!.Code);
    }
}

/// <summary>Issue 12: every time a request carries is range-checked; none throws out of the parser.</summary>
public sealed class QueryRequestTimeRangeTests
{
    private static ParsedQueryRequest Parse(params (string Name, string Value)[] fields) =>
        new QueryRequestParser(ContractLimits.Default).Parse(fields.Select(f => new KeyValuePair<string, ReadOnlyMemory<byte>>(f.Name, Encoding.UTF8.GetBytes(f.Value))));

    [Theory]
    [InlineData("253402300800000")]
    [InlineData("9999-12-31T23:59:59-01:00")]
    [InlineData("99999999999999999999")]
    public void Parse_DeadlinePastYear9999_IsInvalidField(string deadline)
    {
        var parsed = Parse(("id", "r1"), ("query", "bees"), ("reply_to", "chan"), ("deadline", deadline));

        Assert.Equal(ErrorCodes.InvalidField, parsed.Error?.Code);
        Assert.Equal("chan", parsed.ReplyTo);
    }

    [Theory]
    [InlineData("{\"from\":253402300800000}", "invalid_field")]
    [InlineData("{\"to\":\"9999-12-31T23:59:59-01:00\"}", "invalid_field")]
    [InlineData("{\"sources\":[\"\\ud800\"]}", "bad_json")]
    [InlineData("{\"\\udc00\":1}", "bad_json")]
    public void Parse_FilterTimePastYear9999OrLoneSurrogate_IsAnError_NotAnException(string filters, string code)
    {
        var parsed = Parse(("id", "r1"), ("query", "bees"), ("reply_to", "chan"), ("filters", filters));

        Assert.Equal(code, parsed.Error?.Code);
    }
}
