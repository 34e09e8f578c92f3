using System.Globalization;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Google.Protobuf;
using StreamRag.Embedding.Local.Onnx;

namespace StreamRag.Embedding.Local;

/// <summary>
/// Makes the int8 variant of a float32 ONNX model: dynamic quantization of the weights of its
/// matrix products, as ONNX Runtime's own tool does it (<c>quantize_dynamic</c>, MatMul with a
/// constant weight), and nothing else.
/// <para>
/// Each <c>MatMul(A, W)</c> whose <c>W</c> is a 2-D float initializer becomes the
/// <c>com.microsoft</c> contrib op <c>DynamicQuantizeMatMul(A, W8, scale, zero point[, bias])</c>:
/// <c>W</c> is quantized once, here, per output column (one scale per column: the columns of a
/// BERT projection differ in range by an order of magnitude, so one scale for all would waste
/// most of the 8 bits of the narrow ones), symmetric (zero point 0); <c>A</c> is quantized at run
/// time by the kernel, to uint8 over its own range. A bias <c>Add</c> that only follows the
/// product is folded into the op's bias input. The products of two activations (attention's
/// Q·Kᵀ and its weighted sum of V) stay float, as do the embedding lookups (<c>Gather</c>: a
/// table read, no arithmetic to save), LayerNorm, Softmax and GELU (they need float range and are
/// a small part of the time).
/// </para>
/// <para>
/// Then each BERT self-attention block becomes one <c>QAttention</c> node over the same int8
/// weights (<see cref="AttentionFusion"/>): same arithmetic, fewer passes over the activations; and
/// each exact GELU its tanh approximation (<see cref="GeluApproximation"/>).
/// </para>
/// <para>
/// Weights are 7-bit signed (−64…63; the tool's <c>reduce_range</c>). On x86 without AVX-512 VNNI
/// ONNX Runtime multiplies uint8 activations by int8 weights with <c>VPMADDUBSW</c>, which adds two
/// products in 16 bits and saturates when both are large (255 × 127 × 2 &gt; 32,767); one bit less
/// of weight cannot saturate (255 × 64 × 2 &lt; 32,768). With VNNI the sums are 32-bit, and the
/// spare bit would buy little: the measured cosine to float32 is the test of either.
/// </para>
/// <para>
/// One zero point (0) serves every column, as symmetric weights need: with the same zeros given
/// per column, inference ran at 29.5 passages/s against 74.6 with one (two scratch runs at load 5–6,
/// arctic-embed-xs, 2 threads), presumably a slower kernel path for per-column zero points.
/// </para>
/// The rewrite is a pure function of the input bytes and <see cref="Version"/>, so its output can
/// be cached under their hash (<see cref="Int8ModelCache"/>).
/// </summary>
public static class Int8Quantizer
{
    /// <summary>Changes whenever the output for a given input would change; part of the cache key.</summary>
    public const int Version = 2;

    /// <summary>The metadata key the quantized model carries: what it was made from, and how.</summary>
    public const string MetadataKey = "streamrag.int8";

    /// <summary>The metadata key of the SHA-256 of the quantized graph's bytes, by which a cached copy is checked whole.</summary>
    public const string GraphDigestKey = "streamrag.int8.graph_sha256";

    private const int WeightMax = 63;

    /// <summary>The int8 model of <paramref name="float32Model"/>, which is left unchanged.</summary>
    /// <param name="source">Written into the model's metadata (e.g. the source's name and hash).</param>
    /// <exception cref="InvalidDataException">Not an ONNX model, or nothing in it to quantize.</exception>
    public static byte[] Quantize(byte[] float32Model, string source)
    {
        ArgumentNullException.ThrowIfNull(float32Model);
        ModelProto model;
        try
        {
            model = ModelProto.Parser.ParseFrom(float32Model);
        }
        catch (InvalidProtocolBufferException ex)
        {
            throw new InvalidDataException($"not an ONNX model: {ex.Message}", ex);
        }

        var graph = model.Graph ?? throw new InvalidDataException("the ONNX model has no graph");
        var index = OnnxGraph.Of(graph);
        var initializers = index.Initializers;
        var consumers = index.Consumers;
        var graphOutputs = graph.Output.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        var quantized = new Dictionary<string, (string Weight, string Scale, string ZeroPoint)>(StringComparer.Ordinal);
        var folded = new HashSet<NodeProto>(ReferenceEqualityComparer.Instance);
        var nodes = new List<NodeProto>(graph.Node.Count);
        var count = 0;
        foreach (var node in graph.Node)
        {
            if (folded.Contains(node))
            {
                continue;
            }

            if (node.OpType != "MatMul" || node.Domain.Length != 0 || node.Input.Count != 2
                || !initializers.TryGetValue(node.Input[1], out var weight) || !IsFloatMatrix(weight))
            {
                nodes.Add(node);
                continue;
            }

            if (!quantized.TryGetValue(weight.Name, out var q))
            {
                q = QuantizeWeight(weight, graph);
                quantized[weight.Name] = q;
            }

            var columns = weight.Dims[1];
            var output = node.Output[0];
            var op = new NodeProto
            {
                Name = (node.HasName ? node.Name : output) + "_int8",
                OpType = "DynamicQuantizeMatMul",
                Domain = OnnxGraph.MicrosoftDomain,
            };
            op.Input.Add(node.Input[0]);
            op.Input.Add(q.Weight);
            op.Input.Add(q.Scale);
            op.Input.Add(q.ZeroPoint);
            if (!graphOutputs.Contains(output) && BiasAdd(output, columns, consumers, initializers) is { } add)
            {
                op.Input.Add(add.Bias);
                output = add.Node.Output[0];
                folded.Add(add.Node);
            }

            op.Output.Add(output);
            nodes.Add(op);
            count++;
        }

        if (count == 0)
        {
            throw new InvalidDataException("the ONNX model has no MatMul with a constant float weight to quantize");
        }

        graph.Node.Clear();
        graph.Node.AddRange(nodes);
        var attention = AttentionFusion.Fuse(graph);
        var gelus = GeluApproximation.Apply(graph);
        OnnxGraph.RemoveDeadNodes(graph);
        RemoveUnused(graph);
        if (!model.OpsetImport.Any(o => o.Domain == OnnxGraph.MicrosoftDomain))
        {
            model.OpsetImport.Add(new OperatorSetIdProto { Domain = OnnxGraph.MicrosoftDomain, Version = 1 });
        }

        model.MetadataProps.Add(new StringStringEntryProto
        {
            Key = MetadataKey,
            Value = string.Create(CultureInfo.InvariantCulture,
                $"StreamRag int8 quantizer v{Version}: {count} MatMul weights per column, 7-bit symmetric, dynamic uint8 activations; {attention} attention blocks fused (QAttention), {gelus} GELU as FastGelu; from {source}"),
        });
        model.MetadataProps.Add(new StringStringEntryProto { Key = GraphDigestKey, Value = GraphDigest(graph) });
        return model.ToByteArray();
    }

    /// <summary>The SHA-256 (hex) of <paramref name="graph"/> as Google.Protobuf writes it.</summary>
    internal static string GraphDigest(GraphProto graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        return Convert.ToHexStringLower(SHA256.HashData(graph.ToByteArray()));
    }

    private static bool IsFloatMatrix(TensorProto tensor) =>
        tensor.DataType == (int)TensorProto.Types.DataType.Float && tensor.Dims.Count == 2 && tensor.DataLocation == 0
        && tensor.Dims[0] > 0 && tensor.Dims[1] > 0;

    /// <summary>The only consumer of <paramref name="product"/>, if it is an Add of a float vector of one value per column.</summary>
    private static (NodeProto Node, string Bias)? BiasAdd(string product, long columns, Dictionary<string, List<NodeProto>> consumers, Dictionary<string, TensorProto> initializers)
    {
        if (!consumers.TryGetValue(product, out var list) || list.Count != 1)
        {
            return null;
        }

        var add = list[0];
        if (add.OpType != "Add" || add.Domain.Length != 0 || add.Input.Count != 2)
        {
            return null;
        }

        var other = add.Input[0] == product ? add.Input[1] : add.Input[0];
        return initializers.TryGetValue(other, out var bias) && bias.DataType == (int)TensorProto.Types.DataType.Float
            && bias.DataLocation == 0 && bias.Dims.Count == 1 && bias.Dims[0] == columns
            ? (add, other)
            : null;
    }

    /// <summary>Adds the int8 weight, its scales and zero points as initializers; returns their names.</summary>
    private static (string Weight, string Scale, string ZeroPoint) QuantizeWeight(TensorProto weight, GraphProto graph)
    {
        var rows = checked((int)weight.Dims[0]);
        var columns = checked((int)weight.Dims[1]);
        var values = FloatsOf(weight, rows * columns);
        var scales = new float[columns];
        for (var r = 0; r < rows; r++)
        {
            var row = values.Slice(r * columns, columns);
            for (var c = 0; c < columns; c++)
            {
                scales[c] = Math.Max(scales[c], Math.Abs(row[c]));
            }
        }

        for (var c = 0; c < columns; c++)
        {
            // A column of zeros keeps scale 1 (its weights quantize to 0 whatever the scale).
            scales[c] = scales[c] > 0 ? scales[c] / WeightMax : 1f;
        }

        var q = new byte[rows * columns];
        for (var r = 0; r < rows; r++)
        {
            for (var c = 0; c < columns; c++)
            {
                var v = MathF.Round(values[(r * columns) + c] / scales[c], MidpointRounding.ToEven);
                q[(r * columns) + c] = unchecked((byte)(sbyte)Math.Clamp(v, -WeightMax - 1, WeightMax));
            }
        }

        var names = (weight.Name + "_int8", weight.Name + "_int8_scale", weight.Name + "_int8_zero_point");
        var quantized = new TensorProto { Name = names.Item1, DataType = (int)TensorProto.Types.DataType.Int8, RawData = ByteString.CopyFrom(q) };
        quantized.Dims.Add([rows, columns]);
        var scale = new TensorProto { Name = names.Item2, DataType = (int)TensorProto.Types.DataType.Float, RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(scales.AsSpan())) };
        scale.Dims.Add(columns);
        // Symmetric: one zero point (0) for every column.
        var zeroPoint = new TensorProto { Name = names.Item3, DataType = (int)TensorProto.Types.DataType.Int8, RawData = ByteString.CopyFrom(new byte[1]) };
        graph.Initializer.Add(quantized);
        graph.Initializer.Add(scale);
        graph.Initializer.Add(zeroPoint);
        return names;
    }

    private static ReadOnlySpan<float> FloatsOf(TensorProto tensor, int count)
    {
        ReadOnlySpan<float> values = tensor.HasRawData
            ? MemoryMarshal.Cast<byte, float>(tensor.RawData.Span)
            : tensor.FloatData.ToArray();
        if (values.Length != count)
        {
            throw new InvalidDataException($"the initializer {tensor.Name} holds {values.Length} values, not the {count} its shape says");
        }

        return values;
    }

    /// <summary>Drops initializers (and their graph inputs, in old models) that no node reads any more.</summary>
    private static void RemoveUnused(GraphProto graph)
    {
        var used = graph.Node.SelectMany(n => n.Input).Concat(graph.Output.Select(o => o.Name)).ToHashSet(StringComparer.Ordinal);
        var unused = graph.Initializer.Where(t => !used.Contains(t.Name)).Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
        var keep = graph.Initializer.Where(t => !unused.Contains(t.Name)).ToArray();
        graph.Initializer.Clear();
        graph.Initializer.AddRange(keep);
        var inputs = graph.Input.Where(i => !unused.Contains(i.Name)).ToArray();
        graph.Input.Clear();
        graph.Input.AddRange(inputs);
    }
}
