using StreamRag.Contracts;
using StreamRag.Index;

namespace StreamRag.UnitTests;

public sealed class VectorSetFilterTests
{
    [Fact]
    public void Build_NoFilters_IsNull()
    {
        Assert.Null(VectorSetFilter.Build(QueryFilters.None));
    }

    [Fact]
    public void Build_AllFilters_CombinesWithAnd()
    {
        var filters = new QueryFilters(["a", "b"], ["x", "y"], ["z"], DateTimeOffset.FromUnixTimeMilliseconds(10), DateTimeOffset.FromUnixTimeMilliseconds(20));

        Assert.Equal(""".source in ["a","b"] and ("x" in .tags or "y" in .tags) and "z" in .tags and .ts >= 10 and .ts <= 20""", VectorSetFilter.Build(filters));
    }

    [Theory]
    [InlineData("a\" or 1")]
    [InlineData("a\\")]
    [InlineData("a'b")]
    [InlineData("a\nb")]
    public void Build_ValueThatCouldCloseTheLiteral_IsRefused(string value)
    {
        Assert.Throws<ArgumentException>(() => VectorSetFilter.Build(QueryFilters.None with { Sources = [value] }));
    }
}
