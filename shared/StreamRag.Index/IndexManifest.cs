using System.Globalization;
using StackExchange.Redis;
using StreamRag.Redis;

namespace StreamRag.Index;

/// <summary>
/// The engine-independent record of what an index is (hash <see cref="KeySchema.IndexManifest"/>,
/// docs/keys.md): the engine it was built with, and the embedding model and dimension of its vectors.
/// The first host records it; every other host adopts it or refuses to start (<see cref="IndexManifestRules"/>),
/// so one fleet never writes one engine while it searches the other, nor mixes two models' vectors.
/// </summary>
/// <param name="Engine">vectorset or search.</param>
/// <param name="Model">The embedding model (the generator's model id), null until a host that embeds has started.</param>
/// <param name="StreamPartitions">Partitions of the input streams (<c>Streams:Partitions</c>), null in a manifest written before they were recorded.</param>
public sealed record IndexManifest(
    string Engine,
    DateTimeOffset? CreatedAt,
    string? CreatedBy,
    IndexModel? Model,
    DateTimeOffset? ModelRecordedAt,
    string? ModelRecordedBy,
    int? StreamPartitions = null)
{
    public const int FormatVersion = 1;

    /// <summary>The manifest a hash holds, or null when it records no engine (absent, or not written yet).</summary>
    public static IndexManifest? FromHash(HashEntry[] entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var fields = entries.ToDictionary(e => (string)e.Name!, e => (string?)e.Value, StringComparer.Ordinal);
        if (!fields.TryGetValue(IndexManifestFields.Engine, out var engine) || string.IsNullOrEmpty(engine))
        {
            return null;
        }

        IndexModel? model = null;
        if (fields.TryGetValue(IndexManifestFields.Model, out var id) && id is not null)
        {
            model = new IndexModel(
                id,
                fields.GetValueOrDefault(IndexManifestFields.ModelProvider) ?? "",
                int.TryParse(fields.GetValueOrDefault(IndexManifestFields.Dimensions), NumberStyles.None, CultureInfo.InvariantCulture, out var d) ? d : 0,
                // A manifest written before precisions were recorded holds float32 vectors: there was no other.
                fields.GetValueOrDefault(IndexManifestFields.ModelPrecision) is { Length: > 0 } precision ? precision : IndexModel.DefaultPrecision);
        }

        return new IndexManifest(
            engine,
            Time(fields.GetValueOrDefault(IndexManifestFields.CreatedAt)),
            fields.GetValueOrDefault(IndexManifestFields.CreatedBy),
            model,
            Time(fields.GetValueOrDefault(IndexManifestFields.ModelRecordedAt)),
            fields.GetValueOrDefault(IndexManifestFields.ModelRecordedBy),
            int.TryParse(fields.GetValueOrDefault(IndexManifestFields.StreamPartitions), NumberStyles.None, CultureInfo.InvariantCulture, out var p) ? p : null);
    }

    /// <summary>Where the engine came from, for messages: "recorded by X at T".</summary>
    public string Provenance => $"recorded by {CreatedBy ?? "an unknown host"} at {(CreatedAt is { } at ? FormatTime(at) : "an unknown time")}";

    /// <summary>Where the model came from, for messages.</summary>
    public string ModelProvenance => $"recorded by {ModelRecordedBy ?? "an unknown host"} at {(ModelRecordedAt is { } at ? FormatTime(at) : "an unknown time")}";

    /// <summary>How the manifest writes an instant: ISO 8601 in UTC with milliseconds, e.g. 2026-05-01T10:00:00.000Z.</summary>
    public static string FormatTime(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    private static DateTimeOffset? Time(string? value) =>
        DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var t) ? t : null;
}
