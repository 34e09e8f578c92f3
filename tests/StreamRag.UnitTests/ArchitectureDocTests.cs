using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace StreamRag.UnitTests;

/// <summary>docs/architecture.md's project table says exactly which projects each project references.</summary>
public sealed partial class ArchitectureDocTests
{
    private static readonly string[] ProjectFolders = ["shared", "workers", "tools"];

    [GeneratedRegex(@"`(StreamRag\.[A-Za-z.]+)`")]
    private static partial Regex ProjectName();

    private static Dictionary<string, string[]> Documented()
    {
        var rows = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var text = File.ReadAllText(Path.Combine(ComposeStackTests.Root(), "docs", "architecture.md"));
        var section = text[text.IndexOf("## Projects and what each may use", StringComparison.Ordinal)..text.IndexOf("## The document path", StringComparison.Ordinal)];
        foreach (var line in section.Split('\n').Where(l => l.StartsWith("| `", StringComparison.Ordinal)))
        {
            var cells = line.Split('|');
            var project = ProjectName().Match(cells[1]).Groups[1].Value;
            rows.Add(project, ProjectName().Matches(cells[2]).Select(m => m.Groups[1].Value).Order(StringComparer.Ordinal).ToArray());
        }

        return rows;
    }

    private static Dictionary<string, string[]> Actual()
    {
        var root = ComposeStackTests.Root();
        return ProjectFolders
            .SelectMany(folder => Directory.GetFiles(Path.Combine(root, folder), "*.csproj", SearchOption.AllDirectories))
            .ToDictionary(
                path => Path.GetFileNameWithoutExtension(path),
                path => XDocument.Load(path).Descendants("ProjectReference")
                    .Select(r => Path.GetFileNameWithoutExtension(r.Attribute("Include")!.Value.Replace('\\', '/')))
                    .Order(StringComparer.Ordinal).ToArray(),
                StringComparer.Ordinal);
    }

    [Fact]
    public void EveryProject_ReferencesExactlyWhatTheTableSays()
    {
        var documented = Documented();
        var actual = Actual();
        Assert.Equal(actual.Keys.Order(StringComparer.Ordinal), documented.Keys.Order(StringComparer.Ordinal));
        Assert.All(actual, project => Assert.True(
            documented[project.Key].SequenceEqual(project.Value),
            $"{project.Key} references {string.Join(", ", project.Value)}; docs/architecture.md says {string.Join(", ", documented[project.Key])}"));
    }
}
