using Microsoft.ML.Tokenizers;

namespace StreamRag.Embedding.Local;

/// <summary>The tokenizer a local model was trained with: BERT WordPiece over its own vocabulary.</summary>
public static class WordPieceTokenizer
{
    /// <summary>
    /// Uncased BERT, as both shipped models expect (Hugging Face <c>do_lower_case</c>, with accents
    /// stripped as lower-casing implies there, and CJK characters split one by one).
    /// </summary>
    public static BertTokenizer Create(LocalModelSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        using var vocabulary = new MemoryStream(LocalModelFiles.ReadVocabulary(spec), writable: false);
        return BertTokenizer.Create(vocabulary, new BertOptions
        {
            LowerCaseBeforeTokenization = true,
            RemoveNonSpacingMarks = true,
            IndividuallyTokenizeCjk = true,
            ApplyBasicTokenization = true,
        });
    }
}
