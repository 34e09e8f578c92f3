namespace StreamRag.Contracts;

/// <summary>Names of the keys inside the <c>filters</c> JSON object.</summary>
public static class QueryFilterFields
{
    public const string Sources = "sources";
    public const string TagsAny = "tags_any";
    public const string TagsAll = "tags_all";
    public const string From = "from";
    public const string To = "to";
}
