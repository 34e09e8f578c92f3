using System.Text;

namespace StreamRag.Index;

/// <summary>
/// The fields of a partition's document hash (docs/keys.md#index-partitions), named once. The C#
/// readers use these constants; every Lua script that touches the hash gets them as the table
/// <c>F</c> (<see cref="Lua"/> is prepended to it), so a field is renamed in one place.
/// </summary>
public static class DocumentFields
{
    public const string Version = "version";
    public const string ContentHash = "hash";
    public const string Chunks = "chunks";
    public const string Deleted = "deleted";

    /// <summary>Set on a tombstone the retention sweeper left (rather than a delete event).</summary>
    public const string Expired = "expired";

    public const string Source = "source";
    public const string Timestamp = "ts";
    public const string Tags = "tags";
    public const string ExpiresAt = "expires_at";

    /// <summary>Vector sets: one character per passage, <c>1</c> when it is linked into the graph.</summary>
    public const string Links = "links";

    /// <summary>Vector sets: how many passages were left out of the graph as excess copies.</summary>
    public const string Unlinked = "unlinked";

    /// <summary>Vector sets: the passages' vector fingerprints, comma-joined, for counting copies.</summary>
    public const string Fingerprints = "fps";

    /// <summary>Prefix of the passage-text fields: <c>c:0</c>, <c>c:1</c>, …</summary>
    public const string PassagePrefix = "c:";

    /// <summary>The field holding passage <paramref name="chunk"/>'s text.</summary>
    public static string Passage(int chunk) => PassagePrefix + chunk.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The Lua table <c>F</c> of these names (<c>F.version</c>, <c>F.passage .. i</c>, …), prepended to the scripts.</summary>
    public static string Lua { get; } = BuildLua();

    private static string BuildLua()
    {
        (string Name, string Field)[] fields =
        [
            ("version", Version), ("hash", ContentHash), ("chunks", Chunks), ("deleted", Deleted), ("expired", Expired),
            ("source", Source), ("ts", Timestamp), ("tags", Tags), ("expires_at", ExpiresAt), ("links", Links),
            ("unlinked", Unlinked), ("fps", Fingerprints), ("passage", PassagePrefix),
        ];
        var lua = new StringBuilder("-- Document hash fields, from DocumentFields.cs.\nlocal F = {");
        lua.AppendJoin(", ", fields.Select(f => $"{f.Name} = '{f.Field}'"));
        return lua.Append("}\n").ToString();
    }
}
