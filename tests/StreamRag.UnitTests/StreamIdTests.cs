using StreamRag.Redis;

namespace StreamRag.UnitTests;

public sealed class StreamIdTests
{
    [Fact]
    public void Parse_OrdersAsRedisDoes()
    {
        Assert.True(StreamId.Parse("10-5") < StreamId.Parse("10-10"));
        Assert.True(StreamId.Parse("9-99") < StreamId.Parse("10-0"));
        Assert.Equal(StreamId.Parse("7-3"), StreamId.Parse("7-2").Next());
        Assert.Equal("7-0", StreamId.Parse("7").ToString());
        Assert.True(StreamId.Parse(null).IsZero);
    }

    [Fact]
#pragma warning disable CS0618 // the plain constructor is what a server reply produces; fine for a test
    public void RedisErrors_TellPassingStatesFromRefusals()
    {
        Assert.True(RedisErrors.IsTransient(new StackExchange.Redis.RedisServerException("OOM command not allowed when used memory > 'maxmemory'.")));
        Assert.True(RedisErrors.IsTransient(new StackExchange.Redis.RedisServerException("LOADING Redis is loading the dataset in memory")));
        // A failover: the slot's old master is a replica now, or its slot moved.
        Assert.True(RedisErrors.IsTransient(new StackExchange.Redis.RedisServerException("READONLY You can't write against a read only replica.")));
        Assert.True(RedisErrors.IsTransient(new StackExchange.Redis.RedisServerException("MOVED 3999 127.0.0.1:6381")));
        Assert.True(RedisErrors.IsTransient(new StackExchange.Redis.RedisServerException("ASK 3999 127.0.0.1:6381")));
        Assert.False(RedisErrors.IsTransient(new StackExchange.Redis.RedisServerException("ERR asked quantization mismatch with existing vector set")));
        Assert.False(RedisErrors.IsTransient(new InvalidOperationException("bug")));
    }
#pragma warning restore CS0618

    [Theory]
    [InlineData("1700000000000-3", 1_700_000_000_000L)]
    [InlineData("253402300799999-0", 253_402_300_799_999L)]
    [InlineData("0-1", 0L)]
    public void TimeOf_IdWithinYear9999_IsItsTimePart(string id, long ms)
    {
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(ms), StreamEntries.TimeOf(id));
    }

    /// <summary>Issue 12: an explicit id past year 9999 (and every later <c>*</c> id) made this throw and stopped the stream.</summary>
    [Theory]
    [InlineData("253402300800000-0")]
    [InlineData("253402300800000-17")]
    [InlineData("18446744073709551615-18446744073709551615")]
    [InlineData("not-an-id")]
    [InlineData("")]
    public void TimeOf_IdPastYear9999OrMalformed_IsUnknown(string id)
    {
        Assert.Null(StreamEntries.TimeOf(id));
        Assert.Null(StreamEntries.AgeOf(id, DateTimeOffset.UtcNow));
    }

    [Fact]
    public void AgeOf_IsNeverNegative()
    {
        var now = DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000);

        Assert.Equal(TimeSpan.FromSeconds(2), StreamEntries.AgeOf("1699999998000-0", now));
        Assert.Equal(TimeSpan.Zero, StreamEntries.AgeOf("1700000005000-0", now));
    }
}
