using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;

namespace StreamRag.Ingest;

/// <summary>
/// Finds and reads what <c>streamrag ingest</c> loads: Markdown and text files (one document each, id =
/// the path relative to the folder given, or the file name for a file given), and JSON Lines files
/// (one document per line: <c>{"id", "content", "source", "tags", "ttl"}</c>; id defaults to <c>path:line</c>).
/// </summary>
public static class IngestSources
{
    public static IReadOnlyList<string> Extensions { get; } = [".md", ".markdown", ".txt", ".jsonl"];

    /// <summary>The JSON Lines fields; any other is refused, so a typo never passes silently.</summary>
    public static IReadOnlyList<string> JsonLinesFields { get; } = ["id", "content", "source", "tags", "ttl"];

    /// <summary>Every supported file under the paths, in a stable order; throws <see cref="IngestPathException"/> for a path that cannot be used.</summary>
    public static IReadOnlyList<IngestFile> Resolve(IReadOnlyList<string> paths)
    {
        ArgumentNullException.ThrowIfNull(paths);
        if (paths.Count == 0)
        {
            throw new IngestPathException("no path given: name files or folders of .md, .txt or .jsonl files");
        }

        var files = new List<IngestFile>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var path in paths)
        {
            var full = Path.GetFullPath(path);
            if (Directory.Exists(full))
            {
                // Hidden entries (.git, editor files) are skipped; a subfolder's files keep their folder in the id.
                var options = new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.Hidden | FileAttributes.System };
                foreach (var file in Directory.EnumerateFiles(full, "*", options).Where(IsSupported).Order(StringComparer.Ordinal))
                {
                    Add(file, full);
                }
            }
            else if (File.Exists(full))
            {
                if (!IsSupported(full))
                {
                    throw new IngestPathException($"{path}: not a file ingest reads (it reads {string.Join(", ", Extensions)})");
                }

                Add(full, Path.GetDirectoryName(full)!);
            }
            else
            {
                throw new IngestPathException($"{path}: no such file or folder");
            }
        }

        return files;

        void Add(string file, string root)
        {
            if (seen.Add(file))
            {
                files.Add(new IngestFile(file, Path.GetRelativePath(root, file).Replace(Path.DirectorySeparatorChar, '/')));
            }
        }
    }

    public static bool IsSupported(string path) => Extensions.Any(e => path.EndsWith(e, StringComparison.OrdinalIgnoreCase));

    /// <summary>The entries of one file, read lazily (a JSON Lines file line by line).</summary>
    public static async IAsyncEnumerable<SourceEntry> ReadAsync(IngestFile file, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(file);
        if (!file.IsJsonLines)
        {
            var content = await File.ReadAllTextAsync(file.FullPath, cancellationToken);
            yield return string.IsNullOrWhiteSpace(content)
                ? new SourceEntry(file.RelativePath, null, "the file is empty")
                : new SourceEntry(file.RelativePath, new SourceDocument(file.RelativePath, content, null, null, null, file.RelativePath), null);
            yield break;
        }

        using var reader = new StreamReader(file.FullPath);
        var number = 0;
        while (await reader.ReadLineAsync(cancellationToken) is { } line)
        {
            number++;
            if (!string.IsNullOrWhiteSpace(line))
            {
                yield return ParseLine(file.RelativePath, number, line);
            }
        }
    }

    internal static SourceEntry ParseLine(string relativePath, int number, string line)
    {
        var origin = string.Create(CultureInfo.InvariantCulture, $"{relativePath}:{number}");
        try
        {
            using var json = JsonDocument.Parse(line);
            if (json.RootElement.ValueKind != JsonValueKind.Object)
            {
                return new SourceEntry(origin, null, "the line is not a JSON object");
            }

            string? id = null, content = null, source = null;
            List<string>? tags = null;
            long? ttl = null;
            foreach (var property in json.RootElement.EnumerateObject())
            {
                var value = property.Value;
                switch (property.Name)
                {
                    case "id" when value.ValueKind == JsonValueKind.String:
                        id = value.GetString();
                        break;
                    case "content" when value.ValueKind == JsonValueKind.String:
                        content = value.GetString();
                        break;
                    case "source" when value.ValueKind == JsonValueKind.String:
                        source = value.GetString();
                        break;
                    case "tags" when value.ValueKind == JsonValueKind.Array && value.EnumerateArray().All(t => t.ValueKind == JsonValueKind.String):
                        tags = value.EnumerateArray().Select(t => t.GetString()!).ToList();
                        break;
                    case "tags" when value.ValueKind == JsonValueKind.String:
                        tags = value.GetString()!.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).ToList();
                        break;
                    case "ttl" when value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var seconds):
                        ttl = seconds;
                        break;
                    case var name when JsonLinesFields.Contains(name):
                        return new SourceEntry(origin, null, $"field '{name}' has the wrong type ({value.ValueKind}): id, content and source are strings, tags an array of strings or a comma-separated string, ttl whole seconds");
                    default:
                        return new SourceEntry(origin, null, $"unknown field '{property.Name}'; known fields: {string.Join(", ", JsonLinesFields)}");
                }
            }

            return string.IsNullOrWhiteSpace(content)
                ? new SourceEntry(origin, null, "no content")
                : new SourceEntry(origin, new SourceDocument(id ?? origin, content, source, tags, ttl, origin), null);
        }
        catch (JsonException ex)
        {
            return new SourceEntry(origin, null, $"not valid JSON: {ex.Message}");
        }
    }
}
