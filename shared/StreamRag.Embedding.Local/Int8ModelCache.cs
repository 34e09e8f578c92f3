using System.Globalization;
using System.Security.Cryptography;
using Google.Protobuf;
using StreamRag.Embedding.Local.Onnx;

namespace StreamRag.Embedding.Local;

/// <summary>
/// The int8 models made by <see cref="Int8Quantizer"/>, kept as files so that a model is quantized
/// once per machine, not on every start. A file is named after the model and keyed by the SHA-256
/// of the float32 model and the quantizer's version, so a new package or quantizer makes a new file.
/// A file is written whole under a temporary name and then renamed, so a reader never sees half of
/// one; a file that is not the model it should be (truncated, overwritten) is made again.
/// </summary>
public static class Int8ModelCache
{
    /// <summary>What a load found.</summary>
    public enum Outcome
    {
        /// <summary>The cached file was read.</summary>
        Reused,

        /// <summary>There was none: the model was quantized and written.</summary>
        Built,

        /// <summary>The file was not the model it should be: quantized and written again.</summary>
        Rebuilt,
    }

    /// <summary>The default directory: <c>$XDG_CACHE_HOME/streamrag</c>, else <c>~/.cache/streamrag</c>, else the temporary directory's <c>streamrag</c>.</summary>
    public static string DefaultDirectory
    {
        get
        {
            var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
            if (!string.IsNullOrWhiteSpace(xdg) && Path.IsPathRooted(xdg))
            {
                return Path.Combine(xdg, "streamrag");
            }

            var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
            return !string.IsNullOrEmpty(home) ? Path.Combine(home, ".cache", "streamrag") : Path.Combine(Path.GetTempPath(), "streamrag");
        }
    }

    /// <summary>The directory <paramref name="configured"/> names, or <see cref="DefaultDirectory"/> when it is empty.</summary>
    public static string DirectoryOf(string? configured) => string.IsNullOrWhiteSpace(configured) ? DefaultDirectory : configured;

    /// <summary>The file the int8 model of <paramref name="float32Model"/> is kept in.</summary>
    public static string PathOf(LocalModelSpec spec, byte[] float32Model, string directory)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(float32Model);
        return FileOf(spec, Key(float32Model), directory);
    }

    /// <summary>
    /// The int8 model of <paramref name="float32Model"/>: read from <paramref name="directory"/>, or
    /// made and written there.
    /// </summary>
    /// <exception cref="InvalidOperationException">The directory cannot be written.</exception>
    public static (byte[] Model, string Path, Outcome Outcome) Load(LocalModelSpec spec, byte[] float32Model, string directory)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(float32Model);
        var key = Key(float32Model);
        var path = FileOf(spec, key, directory);
        var source = $"{spec.Name} float32 sha256:{key}";
        var outcome = Outcome.Built;
        if (File.Exists(path))
        {
            var cached = File.ReadAllBytes(path);
            if (IsFrom(cached, source))
            {
                return (cached, path, Outcome.Reused);
            }

            outcome = Outcome.Rebuilt;
        }

        var model = Int8Quantizer.Quantize(float32Model, source);
        try
        {
            Directory.CreateDirectory(directory);
            var temporary = $"{path}.{Environment.ProcessId.ToString(CultureInfo.InvariantCulture)}.{Guid.NewGuid():N}.tmp";
            File.WriteAllBytes(temporary, model);
            File.Move(temporary, path, overwrite: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new InvalidOperationException(
                $"could not keep the int8 model of {spec.Name} in {directory} ({ex.Message}); set Embedding:Local:CacheDirectory to a writable directory", ex);
        }

        return (model, path, outcome);
    }

    private static string FileOf(LocalModelSpec spec, string key, string directory) => Path.Combine(directory, $"{spec.Name}.int8.{key[..16]}.onnx");

    /// <summary>The SHA-256 (hex) of the source model and the quantizer's version.</summary>
    private static string Key(byte[] float32Model)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(float32Model);
        hash.AppendData(BitConverter.GetBytes(Int8Quantizer.Version));
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>
    /// Whether <paramref name="cached"/> is a whole ONNX model made from <paramref name="source"/>: the
    /// quantizer's metadata is written after the graph (a file cut short lacks it), and the graph's
    /// bytes have the digest it records (a byte changed anywhere in the weights is found).
    /// </summary>
    private static bool IsFrom(byte[] cached, string source)
    {
        try
        {
            var model = ModelProto.Parser.ParseFrom(cached);
            return model.Graph is { Node.Count: > 0 } graph
                && model.MetadataProps.Any(p => p.Key == Int8Quantizer.MetadataKey && p.Value.EndsWith("from " + source, StringComparison.Ordinal))
                && model.MetadataProps.FirstOrDefault(p => p.Key == Int8Quantizer.GraphDigestKey)?.Value == Int8Quantizer.GraphDigest(graph);
        }
        catch (InvalidProtocolBufferException)
        {
            return false;
        }
    }
}
