using System.Globalization;
using System.Text;
using StreamRag.Contracts;

namespace StreamRag.Index;

/// <summary>
/// Builds vector-set FILTER expressions over the chunk attributes written by
/// <see cref="VectorSetIndex"/> (<c>{"source":…,"ts":…,"tags":[…]}</c>). The filter runs inside
/// VSIM, so a filtered search still returns K results when K matches exist.
/// </summary>
public static class VectorSetFilter
{
    /// <summary>The expression, or null when there is nothing to filter.</summary>
    public static string? Build(QueryFilters filters)
    {
        ArgumentNullException.ThrowIfNull(filters);
        var clauses = new List<string>();
        if (filters.Sources.Count > 0)
        {
            clauses.Add($".source in [{string.Join(",", filters.Sources.Select(Quote))}]");
        }

        if (filters.TagsAny.Count > 0)
        {
            clauses.Add("(" + string.Join(" or ", filters.TagsAny.Select(t => $"{Quote(t)} in .tags")) + ")");
        }

        clauses.AddRange(filters.TagsAll.Select(t => $"{Quote(t)} in .tags"));
        if (filters.From is { } from)
        {
            clauses.Add(string.Create(CultureInfo.InvariantCulture, $".ts >= {from.ToUnixTimeMilliseconds()}"));
        }

        if (filters.To is { } to)
        {
            clauses.Add(string.Create(CultureInfo.InvariantCulture, $".ts <= {to.ToUnixTimeMilliseconds()}"));
        }

        return clauses.Count == 0 ? null : string.Join(" and ", clauses);
    }

    /// <summary>
    /// A string literal. The contract parsers admit only [A-Za-z0-9_-.:/@] in filter values; this
    /// check is the second line of defence, so no caller value can ever close the literal.
    /// </summary>
    internal static string Quote(string value)
    {
        foreach (var c in value)
        {
            if (c is '"' or '\\' or '\'' || char.IsControl(c))
            {
                throw new ArgumentException($"filter value contains a forbidden character: {value}", nameof(value));
            }
        }

        return new StringBuilder(value.Length + 2).Append('"').Append(value).Append('"').ToString();
    }
}
