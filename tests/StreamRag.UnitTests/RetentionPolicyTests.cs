using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;
using StreamRag.Index;

namespace StreamRag.UnitTests;

public sealed class RetentionPolicyTests
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000);

    private static RetentionPolicy Policy(TimeSpan? fallback = null, params (string Source, TimeSpan Keep)[] bySource) =>
        new(Options.Create(new RetentionOptions { Default = fallback, DefaultBySource = bySource.ToDictionary(x => x.Source, x => x.Keep) }));

    [Fact]
    public void EventExpiry_WinsOverEveryDefault()
    {
        var policy = Policy(TimeSpan.FromDays(1), ("crm", TimeSpan.FromHours(1)));

        Assert.Equal(T0.AddMinutes(5), policy.ExpiryOf(T0.AddMinutes(5), "crm", T0));
    }

    [Fact]
    public void SourceDefault_CountsFromTheDocumentTimestamp()
    {
        var policy = Policy(TimeSpan.FromDays(1), ("crm", TimeSpan.FromHours(1)));

        Assert.Equal(T0.AddHours(1), policy.ExpiryOf(null, "crm", T0));
        Assert.Equal(T0.AddHours(1), policy.ExpiryOf(null, "CRM", T0));
    }

    [Fact]
    public void OtherSources_GetTheDefault_OrNoExpiry()
    {
        Assert.Equal(T0.AddDays(1), Policy(TimeSpan.FromDays(1), ("crm", TimeSpan.FromHours(1))).ExpiryOf(null, "wiki", T0));
        Assert.Null(Policy(null, ("crm", TimeSpan.FromHours(1))).ExpiryOf(null, "wiki", T0));
    }

    [Fact]
    public void Options_RejectNonPositiveRetention()
    {
        var options = new RetentionOptions { DefaultBySource = new() { ["crm"] = TimeSpan.Zero }, Default = TimeSpan.FromSeconds(-1) };

        var result = new RetentionOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        Assert.Contains("Retention:DefaultBySource:crm", result.FailureMessage, StringComparison.Ordinal);
        Assert.Contains("Retention:Default ", result.FailureMessage, StringComparison.Ordinal);
        Assert.Empty(((IValidatableObject)new RetentionOptions { Default = TimeSpan.FromDays(30) }).Validate(new ValidationContext(options)));
    }

    [Fact]
    public void Retention_PastYear9999_MeansNever_NotAnException()
    {
        var policy = Policy(TimeSpan.FromDays(30));

        Assert.Null(policy.ExpiryOf(null, "wiki", DateTimeOffset.MaxValue.AddDays(-1)));
        Assert.Equal(DateTimeOffset.MaxValue, policy.ExpiryOf(null, "wiki", DateTimeOffset.MaxValue.AddDays(-30)));
    }
}
