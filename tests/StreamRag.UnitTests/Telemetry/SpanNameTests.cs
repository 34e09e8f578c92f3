using System.Reflection;
using StreamRag.Telemetry;

namespace StreamRag.UnitTests.Telemetry;

public sealed class SpanNameTests
{
    /// <summary>A trace viewer tells spans apart by name: two constants with one name would be two kinds of span shown as one.</summary>
    [Fact]
    public void EverySpanName_IsDistinct()
    {
        var names = typeof(SpanNames).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral)
            .Select(f => (Field: f.Name, Value: (string)f.GetRawConstantValue()!))
            .ToList();

        Assert.NotEmpty(names);
        Assert.Empty(names.GroupBy(n => n.Value).Where(g => g.Count() > 1).Select(g => $"{g.Key}: {string.Join(", ", g.Select(n => n.Field))}"));
    }
}
