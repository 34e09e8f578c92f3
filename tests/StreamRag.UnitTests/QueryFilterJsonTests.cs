using StreamRag.Contracts;

namespace StreamRag.UnitTests;

public sealed class QueryFilterJsonTests
{
    [Fact]
    public void Write_ThenParse_GivesTheSameFilters()
    {
        var filters = new QueryFilters(["crm", "wiki"], ["a"], ["b", "c"], DateTimeOffset.FromUnixTimeMilliseconds(1_000), DateTimeOffset.FromUnixTimeMilliseconds(2_000));

        var json = QueryFilterJson.Write(filters);
        var error = new QueryRequestParser(ContractLimits.Default).ParseFilters(json, out var parsed);

        Assert.Null(error);
        Assert.Equal(filters.Sources, parsed.Sources);
        Assert.Equal(filters.TagsAny, parsed.TagsAny);
        Assert.Equal(filters.TagsAll, parsed.TagsAll);
        Assert.Equal((filters.From, filters.To), (parsed.From, parsed.To));
        Assert.Equal("{}", QueryFilterJson.Write(QueryFilters.None));
    }
}
