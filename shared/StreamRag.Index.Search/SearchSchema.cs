using System.Globalization;
using NRedisStack.Search;
using static NRedisStack.Search.Schema.VectorField;

namespace StreamRag.Index.Search;

/// <summary>
/// The FT index schema the configuration asks for: chunk hashes under the chunk prefix, with the text
/// as TEXT, source, tags and tenant as case-sensitive TAG fields, the timestamp as NUMERIC and the
/// embedding as a FLOAT32 vector (HNSW with M / EF_CONSTRUCTION / EF_RUNTIME, or FLAT).
/// </summary>
internal sealed record SearchSchema(string Prefix, string Algorithm, int Dimensions, string DistanceMetric, int M, int EfConstruction, int EfRuntime)
{
    public const string DataType = "FLOAT32";

    public bool IsHnsw => Algorithm == "HNSW";

    public static SearchSchema From(IndexOptions options, SearchIndexOptions search, string prefix)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(search);
        return new(prefix, search.Algorithm, options.Dimensions, search.DistanceMetric, options.M, options.EfConstruction, options.DefaultEf);
    }

    /// <summary>FT.CREATE options: hashes whose key starts with the chunk prefix.</summary>
    public FTCreateParams CreateParams() => new FTCreateParams().On(NRedisStack.Search.Literals.Enums.IndexDataType.HASH).Prefix(Prefix);

    /// <summary>FT.CREATE schema. Vector attributes are spelled out even where they equal the server defaults, so the index never depends on them.</summary>
    public Schema ToSchema()
    {
        var vector = new Dictionary<string, object>
        {
            ["TYPE"] = DataType,
            ["DIM"] = Dimensions,
            ["DISTANCE_METRIC"] = DistanceMetric,
        };
        if (IsHnsw)
        {
            vector["M"] = M;
            vector["EF_CONSTRUCTION"] = EfConstruction;
            vector["EF_RUNTIME"] = EfRuntime;
        }

        return new Schema()
            .AddTextField(ChunkFields.Content)
            .AddTagField(ChunkFields.Source, separator: ",", caseSensitive: true)
            .AddTagField(ChunkFields.Tags, separator: ",", caseSensitive: true)
            .AddTagField(ChunkFields.Tenant, separator: ",", caseSensitive: true)
            .AddNumericField(ChunkFields.Timestamp)
            .AddVectorField(ChunkFields.Vector, IsHnsw ? VectorAlgo.HNSW : VectorAlgo.FLAT, vector);
    }

    /// <summary>
    /// How a running index differs from this schema, one line per difference; empty when it matches.
    /// FT.INFO does not report EF_RUNTIME (and older servers report fewer vector attributes); what it
    /// does not report cannot be compared and is not counted as a difference. EF_RUNTIME is sent with
    /// every query anyway.
    /// </summary>
    public IReadOnlyList<string> Differences(RunningIndex running)
    {
        ArgumentNullException.ThrowIfNull(running);
        var differences = new List<string>();
        if (!string.Equals(running.KeyType, "HASH", StringComparison.OrdinalIgnoreCase))
        {
            differences.Add($"key type: running {running.KeyType ?? "(none)"}, configured HASH");
        }

        if (running.Prefixes.Count != 1 || running.Prefixes[0] != Prefix)
        {
            differences.Add($"prefixes: running [{string.Join(", ", running.Prefixes)}], configured [{Prefix}]");
        }

        var expected = new (string Name, string Type)[]
        {
            (ChunkFields.Content, "TEXT"), (ChunkFields.Source, "TAG"), (ChunkFields.Tags, "TAG"),
            (ChunkFields.Tenant, "TAG"), (ChunkFields.Timestamp, "NUMERIC"), (ChunkFields.Vector, "VECTOR"),
        };
        foreach (var (name, type) in expected)
        {
            var field = running.Fields.FirstOrDefault(f => f.Attribute == name);
            if (field is null)
            {
                differences.Add($"{name}: missing from the running index, configured {type}");
                continue;
            }

            if (!string.Equals(field.Type, type, StringComparison.OrdinalIgnoreCase))
            {
                differences.Add($"{name}: running type {field.Type}, configured {type}");
                continue;
            }

            if (type == "TAG")
            {
                if (field.Value("SEPARATOR") is { } separator && separator != ",")
                {
                    differences.Add($"{name}: running separator '{separator}', configured ','");
                }

                if (!field.Flags.Contains("CASESENSITIVE"))
                {
                    differences.Add($"{name}: running is case-insensitive, configured CASESENSITIVE");
                }
            }

            if (type == "VECTOR")
            {
                // Older servers name brute force "BF"; "TIERED" wraps an HNSW graph (Redis 7.2 reported the wrapper).
                var algorithm = field.Value("algorithm") switch
                {
                    "BF" => "FLAT",
                    "TIERED" => "HNSW",
                    var a => a,
                };
                if (algorithm is not null && !string.Equals(algorithm, Algorithm, StringComparison.OrdinalIgnoreCase))
                {
                    differences.Add($"{name}.algorithm: running {algorithm}, configured {Algorithm}");
                }

                Compare(differences, field, "data_type", DataType);
                Compare(differences, field, "dim", Dimensions.ToString(CultureInfo.InvariantCulture));
                Compare(differences, field, "distance_metric", DistanceMetric);
                if (IsHnsw)
                {
                    Compare(differences, field, "M", M.ToString(CultureInfo.InvariantCulture));
                    Compare(differences, field, "ef_construction", EfConstruction.ToString(CultureInfo.InvariantCulture));
                }
            }
        }

        foreach (var extra in running.Fields.Where(f => expected.All(e => e.Name != f.Attribute)))
        {
            differences.Add($"{extra.Attribute}: in the running index ({extra.Type}) but not configured");
        }

        return differences;
    }

    /// <summary>One line that names the configured schema, for logs and the admin tool.</summary>
    public override string ToString() => IsHnsw
        ? $"PREFIX {Prefix} vec HNSW {DataType} DIM {Dimensions} {DistanceMetric} M {M} EF_CONSTRUCTION {EfConstruction} EF_RUNTIME {EfRuntime}"
        : $"PREFIX {Prefix} vec FLAT {DataType} DIM {Dimensions} {DistanceMetric}";

    private static void Compare(List<string> differences, RunningField field, string attribute, string configured)
    {
        if (field.Value(attribute) is { } running && !string.Equals(running, configured, StringComparison.OrdinalIgnoreCase))
        {
            differences.Add($"{field.Attribute}.{attribute}: running {running}, configured {configured}");
        }
    }
}
