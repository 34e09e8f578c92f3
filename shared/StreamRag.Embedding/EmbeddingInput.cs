using Microsoft.Extensions.AI;

namespace StreamRag.Embedding;

/// <summary>
/// What is being embedded, said through the generator's API: models such as
/// snowflake-arctic-embed-xs embed a search query differently from a passage. A caller that embeds a
/// query passes <see cref="ForQuery"/>; anything without it is a document passage. Providers that
/// make no difference (hashing, openai) ignore the property.
/// </summary>
public static class EmbeddingInput
{
    /// <summary>Key in <see cref="EmbeddingGenerationOptions.AdditionalProperties"/>.</summary>
    public const string KindKey = "streamrag.input_kind";

    public const string Query = "query";
    public const string Document = "document";

    /// <summary>Options that mark every input of the call as a search query.</summary>
    public static EmbeddingGenerationOptions ForQuery() => new() { AdditionalProperties = new() { [KindKey] = Query } };

    /// <summary>True when the call's inputs are search queries.</summary>
    public static bool IsQuery(EmbeddingGenerationOptions? options) =>
        options?.AdditionalProperties is { } properties && properties.TryGetValue(KindKey, out var kind) && kind is Query;
}
