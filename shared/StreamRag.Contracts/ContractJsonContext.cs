using System.Text.Json.Serialization;

namespace StreamRag.Contracts;

/// <summary>Source-generated JSON for the wire contract: snake_case, nulls omitted.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    UseStringEnumConverter = true)]
[JsonSerializable(typeof(QueryReply))]
public sealed partial class ContractJsonContext : JsonSerializerContext;
