
namespace StreamRag.Index;

/// <summary>Field names of the layout in the manifest hash.</summary>
public static class IndexLayoutFields
{
    public const string Number = "layout_number";
    public const string Current = "layout";
    public const string Next = "layout_next";
    public const string Retired = "layout_retired";
}
