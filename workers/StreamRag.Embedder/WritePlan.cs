using StreamRag.Contracts;
using StreamRag.Embedding;

namespace StreamRag.Embedder;

/// <summary>What the document path will do with one event: carried from planning through embedding to the write.</summary>
internal sealed class WritePlan(ParsedEvent parsed, string contentHash, IReadOnlyList<TextChunk>? chunks)
{
    /// <summary>The event's position in its batch, where its outcome goes.</summary>
    public int Slot => parsed.Slot;

    /// <summary>When the event entered the stream; null when its id does not say.</summary>
    public DateTimeOffset? Arrived => parsed.Arrived;

    /// <summary>The stream id of the event, carried in the notifications of the watches its passages match.</summary>
    public string EventId => parsed.EntryId;

    public DocumentEvent Event => parsed.Event;

    public string ContentHash { get; } = contentHash;

    /// <summary>Null when the indexed content is the same: only metadata changes.</summary>
    public IReadOnlyList<TextChunk>? Chunks { get; set; } = chunks;

    public ReadOnlyMemory<float>[]? Vectors { get; set; }

    /// <summary>Why this document can never be indexed (it is dead-lettered): the provider refused it, or it makes too many passages.</summary>
    public string? Refused { get; set; }
}

/// <summary>A parsed event of a batch: its slot, its stream id, the event, when it entered the stream.</summary>
internal readonly record struct ParsedEvent(int Slot, string EntryId, DocumentEvent Event, DateTimeOffset? Arrived);
