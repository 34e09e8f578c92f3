using System.Text.Json;

namespace StreamRag.Bench;

/// <summary>Where a benchmark's results go: its table on stdout, and <c>{name}.md</c> and <c>{name}.json</c> in the results folder.</summary>
internal static class ResultFiles
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <param name="json">The figures as the JSON file holds them (serialized by their runtime type).</param>
    /// <param name="options">How to serialize them; indented, with the members' own names, by default.</param>
    public static void Write(string directory, string name, string markdown, object json, JsonSerializerOptions? options = null)
    {
        Console.WriteLine();
        Console.WriteLine(markdown);
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, $"{name}.md"), markdown);
        File.WriteAllText(Path.Combine(directory, $"{name}.json"), JsonSerializer.Serialize(json, options ?? Indented));
    }
}
