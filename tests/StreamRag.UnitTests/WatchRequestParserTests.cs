using System.Text;
using StreamRag.Contracts;
using StreamRag.Index;

namespace StreamRag.UnitTests;

public sealed class WatchRequestParserTests
{
    private readonly QueryRequestParser parser = new(ContractLimits.Default);

    private ParsedQueryRequest Parse(params (string Name, string Value)[] fields) =>
        parser.Parse(fields.Select(f => new KeyValuePair<string, ReadOnlyMemory<byte>>(f.Name, Encoding.UTF8.GetBytes(f.Value))));

    private ParsedQueryRequest Watch(params (string Name, string Value)[] extra) =>
        Parse([("id", "w1"), ("query", "bees"), ("reply_to", "c"), ("mode", "watch"), .. extra]);

    [Fact]
    public void Parse_Watch_ReadsThresholdTtlAndStream()
    {
        var parsed = Watch(("threshold", "0.6"), ("ttl", "3600"), ("notify_to", "rag:watch:desk"), ("filters", """{"sources":["wiki"]}"""));

        Assert.Null(parsed.Error);
        var r = parsed.Request!;
        Assert.Equal(QueryMode.Watch, r.Mode);
        Assert.Equal(new WatchRequest(0.6, TimeSpan.FromHours(1), "rag:watch:desk"), r.Watch);
        Assert.Equal(["wiki"], r.Filters.Sources);
    }

    [Fact]
    public void Parse_WatchWithoutTtl_LivesADay()
    {
        Assert.Equal(TimeSpan.FromDays(1), Watch(("threshold", "1"), ("notify_to", "rag:watch:x")).Request!.Watch!.Ttl);
    }

    [Theory]
    [InlineData(null, "rag:watch:x", null, ErrorCodes.MissingField)]
    [InlineData("0.7", null, null, ErrorCodes.MissingField)]
    [InlineData("1.5", "rag:watch:x", null, ErrorCodes.InvalidField)]
    [InlineData("-0.1", "rag:watch:x", null, ErrorCodes.InvalidField)]
    [InlineData("high", "rag:watch:x", null, ErrorCodes.InvalidField)]
    [InlineData("0.7", "rag:watch:{x}", null, ErrorCodes.InvalidField)]
    [InlineData("0.7", "rag:watch:a b", null, ErrorCodes.InvalidField)]
    [InlineData("0.7", "rag:watch:x", "0", ErrorCodes.InvalidField)]
    [InlineData("0.7", "rag:watch:x", "2592001", ErrorCodes.InvalidField)]
    [InlineData("0.7", "rag:watch:x", "1.5", ErrorCodes.InvalidField)]
    public void Parse_BadWatch_IsRefusedWithItsCode(string? threshold, string? notifyTo, string? ttl, string code)
    {
        var fields = new List<(string, string)>();
        if (threshold is not null)
        {
            fields.Add(("threshold", threshold));
        }

        if (notifyTo is not null)
        {
            fields.Add(("notify_to", notifyTo));
        }

        if (ttl is not null)
        {
            fields.Add(("ttl", ttl));
        }

        var parsed = Watch([.. fields]);
        Assert.Null(parsed.Request);
        Assert.Equal(code, parsed.Error!.Code);
        Assert.Equal("c", parsed.ReplyTo);
    }

    [Fact]
    public void Parse_WatchFieldsWithAnotherMode_AreRefused()
    {
        Assert.Equal(ErrorCodes.InvalidField, Parse(("id", "r"), ("query", "q"), ("reply_to", "c"), ("threshold", "0.5")).Error!.Code);
        Assert.Equal(ErrorCodes.InvalidField, Parse(("id", "r"), ("query", "q"), ("reply_to", "c"), ("watch_id", "w1")).Error!.Code);
    }

    [Fact]
    public void Parse_Unwatch_NeedsOnlyTheWatchId()
    {
        var parsed = Parse(("id", "r"), ("reply_to", "c"), ("mode", "unwatch"), ("watch_id", "w0123"), ("tenant", "acme"));
        Assert.Null(parsed.Error);
        Assert.Equal(QueryMode.Unwatch, parsed.Request!.Mode);
        Assert.Equal("w0123", parsed.Request.WatchId);
        Assert.Equal("acme", parsed.Request.Tenant);

        Assert.Equal(ErrorCodes.MissingField, Parse(("id", "r"), ("reply_to", "c"), ("mode", "unwatch")).Error!.Code);
        Assert.Equal(ErrorCodes.EmptyQuery, Parse(("id", "r"), ("reply_to", "c"), ("mode", "watch"), ("threshold", "0.5"), ("notify_to", "rag:watch:x")).Error!.Code);
    }

    [Fact]
    public void WatchAttributes_AcceptAPassageOnlyWithinThresholdFiltersAndLife()
    {
        var now = DateTimeOffset.FromUnixTimeMilliseconds(10_000);
        var filters = new QueryFilters(["wiki"], ["x", "y"], ["a", "b"], DateTimeOffset.FromUnixTimeMilliseconds(1000), DateTimeOffset.FromUnixTimeMilliseconds(9000));
        var json = WatchAttributes.Build(filters, 0.7, now.AddSeconds(1), "rag:watch:x");
        IndexedDocument Doc(string source = "wiki", string[]? tags = null, long ts = 5000) =>
            new("default", "d", 1, "", source, DateTimeOffset.FromUnixTimeMilliseconds(ts), tags ?? ["b", "a", "y"], null, null);

        Assert.True(WatchAttributes.Accepts(json, 0.7, Doc(), now, out var notifyTo));
        Assert.Equal("rag:watch:x", notifyTo);
        Assert.False(WatchAttributes.Accepts(json, 0.69, Doc(), now, out _));
        Assert.False(WatchAttributes.Accepts(json, 0.9, Doc(source: "blog"), now, out _));
        Assert.False(WatchAttributes.Accepts(json, 0.9, Doc(tags: ["a", "y"]), now, out _));
        Assert.False(WatchAttributes.Accepts(json, 0.9, Doc(tags: ["a", "b"]), now, out _));
        Assert.False(WatchAttributes.Accepts(json, 0.9, Doc(ts: 9001), now, out _));
        Assert.False(WatchAttributes.Accepts(json, 0.9, Doc(), now.AddSeconds(1), out _));
        Assert.True(WatchAttributes.Accepts(WatchAttributes.Build(QueryFilters.None, 0.5, now.AddDays(1), "rag:watch:y"), 0.5, Doc(tags: []), now, out _));
    }
}
