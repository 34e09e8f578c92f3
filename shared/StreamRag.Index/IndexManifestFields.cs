using StreamRag.Redis;

namespace StreamRag.Index;

/// <summary>Field names of the manifest hash (docs/keys.md).</summary>
public static class IndexManifestFields
{
    public const string Format = "format";
    public const string Engine = "engine";
    public const string CreatedAt = "created_at";
    public const string CreatedBy = "created_by";
    public const string Model = "model";
    public const string ModelProvider = "model_provider";
    public const string Dimensions = "dimensions";
    public const string ModelPrecision = "model_precision";
    public const string ModelRecordedAt = "model_recorded_at";
    public const string ModelRecordedBy = "model_recorded_by";
    public const string StreamPartitions = KeySchema.StreamPartitionsManifestField;
}
