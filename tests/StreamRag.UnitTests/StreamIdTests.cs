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
        Assert.False(RedisErrors.IsTransient(new StackExchange.Redis.RedisServerException("ERR asked quantization mismatch with existing vector set")));
        Assert.False(RedisErrors.IsTransient(new InvalidOperationException("bug")));
    }
#pragma warning restore CS0618
}
