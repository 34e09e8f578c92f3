using System.Reflection;
using Microsoft.Extensions.Logging;
using StreamRag.Telemetry;

namespace StreamRag.UnitTests.Telemetry;

/// <summary>Every [LoggerMessage] event id is unique across the fleet and inside its project's range (EventIdRanges).</summary>
public sealed class EventIdTests
{
    /// <summary>The StreamRag assemblies beside the tests (the test project references every host).</summary>
    private static Assembly[] StreamRagAssemblies() =>
        Directory.GetFiles(AppContext.BaseDirectory, "StreamRag.*.dll")
            .Select(Path.GetFileNameWithoutExtension)
            .Where(n => !n!.Contains("Tests", StringComparison.Ordinal))
            .Select(n => Assembly.Load(n!))
            .ToArray();

    private static IEnumerable<(string Assembly, string Method, int Id)> LoggerMessages(Assembly assembly) =>
        from type in assembly.GetTypes()
        from method in type.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static | BindingFlags.Instance | BindingFlags.DeclaredOnly)
        let attribute = method.GetCustomAttribute<LoggerMessageAttribute>()
        where attribute is not null
        select (assembly.GetName().Name!, $"{type.FullName}.{method.Name}", attribute.EventId);

    [Fact]
    public void EveryEventId_IsUnique_AndInsideItsProjectsRange()
    {
        var messages = StreamRagAssemblies().SelectMany(LoggerMessages).ToArray();
        // Not vacuous: the hosts and the shared libraries all log.
        Assert.Superset(
            new HashSet<string>(["StreamRag.Redis", "StreamRag.Embedding", "StreamRag.Index.Search", "StreamRag.Embedder", "StreamRag.Query", "StreamRag.Sweeper", "StreamRag.Monitor"]),
            messages.Select(m => m.Assembly).ToHashSet());

        var problems = new List<string>();
        foreach (var (assembly, method, id) in messages)
        {
            if (!EventIdRanges.ByProject.TryGetValue(assembly, out var range))
            {
                problems.Add($"{method} ({id}): {assembly} has no range in EventIdRanges.ByProject; give it the next free one");
            }
            else if (id < range.First || id > range.Last)
            {
                problems.Add($"{method} ({id}): outside {assembly}'s range {range.First}–{range.Last}");
            }
        }

        foreach (var clash in messages.GroupBy(m => m.Id).Where(g => g.Count() > 1))
        {
            problems.Add($"event id {clash.Key} is used by {string.Join(", ", clash.Select(m => m.Method))}");
        }

        Assert.True(problems.Count == 0, string.Join('\n', problems));
    }

    [Fact]
    public void Ranges_DoNotOverlap()
    {
        var ranges = EventIdRanges.ByProject.OrderBy(r => r.Value.First).ToArray();
        Assert.All(ranges, r => Assert.True(r.Value.First <= r.Value.Last, r.Key));
        for (var i = 1; i < ranges.Length; i++)
        {
            Assert.True(ranges[i].Value.First > ranges[i - 1].Value.Last, $"{ranges[i - 1].Key} and {ranges[i].Key} overlap");
        }
    }
}
