namespace StreamRag.Generation;

/// <summary>A retrieved passage offered to the answer: its chunk id (<c>doc#chunk</c>) and text.</summary>
public sealed record AnswerPassage(string Id, string Text);
