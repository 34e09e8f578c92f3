using System.Collections.Frozen;

namespace StreamRag.Monitor.Dashboard;

/// <summary>One file of the page.</summary>
internal sealed record DashboardAsset(string Name, string ContentType, byte[] Content);

/// <summary>
/// The page's files, embedded in this assembly at build time under <c>dashboard/</c>: the page and its
/// script and style from <c>workers/StreamRag.Monitor/dashboard/</c>, and the chart library (uPlot)
/// that the build installs there with <c>npm ci</c>.
/// </summary>
internal sealed class DashboardAssets
{
    public const string ResourcePrefix = "dashboard/";
    public const string ChartLibrary = "uPlot.iife.min.js";

    private readonly FrozenDictionary<string, DashboardAsset> files;

    public DashboardAssets()
    {
        var assembly = typeof(DashboardAssets).Assembly;
        var found = new Dictionary<string, DashboardAsset>(StringComparer.Ordinal);
        foreach (var resource in assembly.GetManifestResourceNames().Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal)))
        {
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            var name = resource[ResourcePrefix.Length..];
            found[name] = new DashboardAsset(name, ContentTypeOf(name), copy.ToArray());
        }

        files = found.ToFrozenDictionary(StringComparer.Ordinal);
    }

    /// <summary>Whether the build bundled the chart library (it needs npm).</summary>
    public bool HasChartLibrary => files.ContainsKey(ChartLibrary);

    public IEnumerable<string> Names => files.Keys;

    public DashboardAsset? Find(string name) => files.GetValueOrDefault(name);

    private static string ContentTypeOf(string name) => Path.GetExtension(name) switch
    {
        ".html" => "text/html; charset=utf-8",
        ".js" => "text/javascript; charset=utf-8",
        ".css" => "text/css; charset=utf-8",
        ".svg" => "image/svg+xml",
        _ => "application/octet-stream",
    };
}
