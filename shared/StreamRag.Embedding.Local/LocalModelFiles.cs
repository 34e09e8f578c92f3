using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;

namespace StreamRag.Embedding.Local;

/// <summary>
/// Reads a local model's <c>model.onnx</c> and <c>vocab.txt</c> out of its package assembly in
/// <c>models/</c> beside the program (put there by LocalModels.targets). The assembly is read as a
/// file, never loaded as code: only its embedded resources are wanted.
/// </summary>
public static class LocalModelFiles
{
    /// <summary>Where the package assembly of <paramref name="spec"/> is expected.</summary>
    public static string PathOf(LocalModelSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return Path.Combine(AppContext.BaseDirectory, "models", spec.PackageAssembly + ".dll");
    }

    /// <summary>The ONNX graph of <paramref name="spec"/> (tens of megabytes).</summary>
    /// <exception cref="InvalidOperationException">The model is not in this build, or its assembly lacks the resource.</exception>
    public static byte[] ReadModel(LocalModelSpec spec) => Read(spec, "model.onnx");

    /// <summary>The WordPiece vocabulary of <paramref name="spec"/>, one token a line.</summary>
    /// <exception cref="InvalidOperationException">The model is not in this build, or its assembly lacks the resource.</exception>
    public static byte[] ReadVocabulary(LocalModelSpec spec) => Read(spec, "vocab.txt");

    private static byte[] Read(LocalModelSpec spec, string name)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var path = PathOf(spec);
        if (!File.Exists(path))
        {
            throw new InvalidOperationException(
                $"the local model {spec.Name} is not in this build: {path} is missing (a program that runs local models imports shared/StreamRag.Embedding.Local/LocalModels.targets)");
        }

        using var pe = new PEReader(File.OpenRead(path));
        var metadata = pe.GetMetadataReader();
        var resources = pe.PEHeaders.CorHeader?.ResourcesDirectory
            ?? throw new InvalidOperationException($"{path} is not a .NET assembly with resources");
        var block = pe.GetSectionData(resources.RelativeVirtualAddress);

        {
            var fullName = $"{spec.PackageAssembly}.Resources.{name}";
            foreach (var handle in metadata.ManifestResources)
            {
                var resource = metadata.GetManifestResource(handle);
                if (resource.Implementation.IsNil && metadata.StringComparer.Equals(resource.Name, fullName))
                {
                    // Each embedded resource is a 4-byte length followed by its bytes.
                    var reader = block.GetReader((int)resource.Offset, block.Length - (int)resource.Offset);
                    return reader.ReadBytes(reader.ReadInt32());
                }
            }

            throw new InvalidOperationException($"{path} has no resource {fullName}: not the package {spec.PackageAssembly} this build expects");
        }
    }
}
