using System.Text;
using System.Text.RegularExpressions;
using StreamRag.Telemetry;

namespace StreamRag.UnitTests.Telemetry;

/// <summary>
/// The instrument list in docs/operations.md equals the catalog the code creates its instruments
/// from (Instruments.All), and no code creates an instrument around the catalog.
/// </summary>
public sealed partial class InstrumentCatalogTests
{
    private static readonly string[] Hosts = ["embedder", "query", "sweeper", "monitor"];
    private static readonly string[] CodeFolders = ["shared", "workers", "tools"];

    private static string Root()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "StreamRag.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("StreamRag.sln not found above the test binaries");
    }

    private static string Cell(IEnumerable<string> values) => string.Join(", ", values.Select(v => $"`{v}`"));

    /// <summary>The row operations.md must have for an instrument (the meaning column is free text).</summary>
    private static string Row(Instrument i) =>
        $"| `{i.PrometheusName}` | `{i.Name}` | {i.PrometheusType} | `{i.Unit}` | {Cell(i.Labels)} | {string.Join(", ", i.Hosts)} | {i.Description}{(i.Condition is null ? "" : $"; only {i.Condition}")} |";

    private static string Key(string row) => string.Join('|', row.Split('|').Skip(1).Take(6).Select(c => c.Trim()));

    [Fact]
    public void OperationsMd_ListsExactlyTheInstrumentsTheCodeDefines()
    {
        var docs = File.ReadAllText(Path.Combine(Root(), "docs", "operations.md"));
        var documented = DocumentedRow().Matches(docs).Select(m => Key(m.Value)).ToArray();
        var defined = Instruments.All.Select(i => Key(Row(i))).ToArray();

        var missing = Instruments.All.Where(i => !documented.Contains(Key(Row(i)))).Select(Row).ToArray();
        var stale = documented.Where(d => !defined.Contains(d)).ToArray();
        Assert.True(missing.Length == 0 && stale.Length == 0,
            new StringBuilder("docs/operations.md and StreamRag.Telemetry.Instruments differ.\nRows to add or correct:\n")
                .AppendJoin('\n', missing).Append("\nRows that match no instrument:\n").AppendJoin('\n', stale).ToString());
        Assert.Equal(documented.Length, documented.Distinct().Count());
    }

    [Fact]
    public void Catalog_FollowsTheNamingConvention()
    {
        Assert.NotEmpty(Instruments.All);
        Assert.All(Instruments.All, i =>
        {
            Assert.Matches(@"^streamrag\.[a-z_]+\.[a-z0-9_]+$", i.Name);
            Assert.Matches(@"^(ms|s|By|1|\{[a-z]+\})$", i.Unit);
            Assert.NotEmpty(i.Hosts);
            Assert.All(i.Hosts, h => Assert.Contains(h, Hosts));
        });
        Assert.Equal(Instruments.All.Count, Instruments.All.Select(i => i.Name).Distinct().Count());
        Assert.Equal(Instruments.All.Count, Instruments.All.Select(i => i.PrometheusName).Distinct().Count());
    }

    [Fact]
    public void NoCode_CreatesAnInstrumentAroundTheCatalog()
    {
        var offenders = CodeFolders
            .SelectMany(d => Directory.EnumerateFiles(Path.Combine(Root(), d), "*.cs", SearchOption.AllDirectories))
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}StreamRag.Telemetry{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Where(f => DirectCreate().IsMatch(File.ReadAllText(f)))
            .Select(f => Path.GetRelativePath(Root(), f))
            .ToArray();
        Assert.True(offenders.Length == 0, $"create instruments from StreamRag.Telemetry.Instruments (meter.Counter, meter.Gauge, …), not directly: {string.Join(", ", offenders)}");
    }

    [GeneratedRegex(@"(?m)^\| `streamrag_[a-z0-9_]+` \|.*\|\s*$")]
    private static partial Regex DocumentedRow();

    [GeneratedRegex(@"\.Create(Counter|Histogram|UpDownCounter|Gauge|ObservableGauge|ObservableCounter|ObservableUpDownCounter)\s*[<(]")]
    private static partial Regex DirectCreate();
}
