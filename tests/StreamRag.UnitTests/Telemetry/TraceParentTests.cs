using System.Diagnostics;
using System.Text;
using StreamRag.Contracts;

namespace StreamRag.UnitTests.Telemetry;

/// <summary>The optional <c>traceparent</c> field of both streams: read when valid, ignored (never refused) when not.</summary>
public sealed class TraceParentTests
{
    private const string TraceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    private const string SpanId = "00f067aa0ba902b7";
    private const string Valid = $"00-{TraceId}-{SpanId}-01";

    public static TheoryData<string> Malformed => new()
    {
        "",
        "garbage",
        $"00-{TraceId}-{SpanId}",
        $"00-{TraceId.ToUpperInvariant()}-{SpanId}-01",
        $"00-00000000000000000000000000000000-{SpanId}-01",
        $"00-{TraceId}-0000000000000000-01",
        $"ff-{TraceId}-{SpanId}-01",
        $"00_{TraceId}_{SpanId}_01",
        $"00-{TraceId[..31]}g-{SpanId}-01",
        $"00-{TraceId}-{SpanId}-01" + new string('x', 300),
        $"00-{TraceId}-{SpanId}-0\u00e9",
        $"00-{TraceId}-{SpanId}-01\n",
    };

    [Fact]
    public void Parse_ValidTraceParent_GivesTraceAndParentSpan()
    {
        var context = TraceParent.Parse(Encoding.ASCII.GetBytes(Valid));

        Assert.NotNull(context);
        Assert.Equal(TraceId, context.Value.TraceId.ToHexString());
        Assert.Equal(SpanId, context.Value.SpanId.ToHexString());
        Assert.Equal(ActivityTraceFlags.Recorded, context.Value.TraceFlags);
        Assert.True(context.Value.IsRemote);
    }

    [Theory]
    [MemberData(nameof(Malformed))]
    public void Parse_Malformed_IsNull(string value)
    {
        Assert.Null(TraceParent.Parse(Encoding.UTF8.GetBytes(value)));
    }

    [Fact]
    public void Parse_InvalidUtf8_IsNull()
    {
        Assert.Null(TraceParent.Parse([.. Encoding.ASCII.GetBytes(Valid[..54]), 0xff]));
    }

    [Fact]
    public void Of_Activity_IsItsW3CId_AndParsesBack()
    {
        using var activity = new Activity("test").SetIdFormat(ActivityIdFormat.W3C).Start();

        var traceParent = TraceParent.Of(activity);

        Assert.Equal(activity.Id, traceParent);
        Assert.Equal(activity.TraceId, TraceParent.Parse(Encoding.ASCII.GetBytes(traceParent!))!.Value.TraceId);
        Assert.Null(TraceParent.Of(null));
    }

    [Fact]
    public void DocumentEvent_WithTraceParent_CarriesIt()
    {
        var result = ParseEvent(("id", "d"), ("version", "1"), ("content", "text"), (DocumentEventFields.TraceParent, Valid));

        Assert.True(result.IsValid, result.Error?.ToString());
        Assert.Equal(TraceId, result.Value!.TraceParent!.Value.TraceId.ToHexString());
    }

    [Theory]
    [MemberData(nameof(Malformed))]
    public void DocumentEvent_WithMalformedTraceParent_IsStillValid_WithoutOne(string value)
    {
        var result = ParseEvent(("id", "d"), ("version", "1"), ("content", "text"), (DocumentEventFields.TraceParent, value));

        Assert.True(result.IsValid, result.Error?.ToString());
        Assert.Null(result.Value!.TraceParent);
    }

    [Fact]
    public void DocumentEvent_TraceParentTwice_IsStillValid_FirstValidOneWins()
    {
        var other = $"00-{new string('a', 32)}-{SpanId}-00";
        var result = ParseEvent(("id", "d"), ("version", "1"), ("content", "text"), ("traceparent", "bad"), ("traceparent", Valid), ("traceparent", other));

        Assert.True(result.IsValid, result.Error?.ToString());
        Assert.Equal(TraceId, result.Value!.TraceParent!.Value.TraceId.ToHexString());
    }

    [Fact]
    public void QueryRequest_WithTraceParent_CarriesIt_EvenWhenTheRequestIsInvalid()
    {
        var good = ParseRequest(("id", "r"), ("query", "bees"), ("reply_to", "c"), (QueryRequestFields.TraceParent, Valid));
        var bad = ParseRequest(("id", "r"), ("query", ""), ("reply_to", "c"), (QueryRequestFields.TraceParent, Valid));

        Assert.Null(good.Error);
        Assert.Equal(TraceId, good.TraceParent!.Value.TraceId.ToHexString());
        Assert.Equal(ErrorCodes.EmptyQuery, bad.Error!.Code);
        Assert.Equal(SpanId, bad.TraceParent!.Value.SpanId.ToHexString());
    }

    [Theory]
    [MemberData(nameof(Malformed))]
    public void QueryRequest_WithMalformedTraceParent_IsStillValid_WithoutOne(string value)
    {
        var parsed = ParseRequest(("id", "r"), ("query", "bees"), ("reply_to", "c"), (QueryRequestFields.TraceParent, value));

        Assert.Null(parsed.Error);
        Assert.NotNull(parsed.Request);
        Assert.Null(parsed.TraceParent);
    }

    [Fact]
    public void QueryRequest_HugeTraceParent_IsIgnored_NotTooLarge()
    {
        var parsed = ParseRequest(("id", "r"), ("query", "bees"), ("reply_to", "c"), (QueryRequestFields.TraceParent, new string('0', 100_000)));

        Assert.Null(parsed.Error);
        Assert.Null(parsed.TraceParent);
    }

    private static ParseResult<DocumentEvent> ParseEvent(params (string Name, string Value)[] fields) =>
        new DocumentEventParser(ContractLimits.Default).Parse(Raw(fields), DateTimeOffset.UnixEpoch);

    private static ParsedQueryRequest ParseRequest(params (string Name, string Value)[] fields) =>
        new QueryRequestParser(ContractLimits.Default).Parse(Raw(fields));

    private static IEnumerable<KeyValuePair<string, ReadOnlyMemory<byte>>> Raw((string Name, string Value)[] fields) =>
        fields.Select(f => new KeyValuePair<string, ReadOnlyMemory<byte>>(f.Name, Encoding.UTF8.GetBytes(f.Value))).ToArray();
}
