using System.Runtime.InteropServices;
using Google.Protobuf;
using StreamRag.Embedding.Local.Onnx;

namespace StreamRag.Embedding.Local;

/// <summary>
/// The second step of <see cref="Int8Quantizer"/>: each BERT self-attention block of the quantized
/// graph becomes one <c>com.microsoft</c> <c>QAttention</c> node, as ONNX Runtime's transformer
/// optimizer does before its quantizer runs (fusion_attention.py, then QAttention in the
/// quantization tool's operators/attention.py).
/// <para>
/// Why: ONNX Runtime's own attention fusion does not fire on these exported graphs (their reshapes
/// take shapes computed at run time), so a layer runs three separate products for Q, K and V — each
/// quantizing the same input again — and then a dozen small float nodes (reshapes, four transposes,
/// two batched products, scale, mask, softmax). <c>QAttention</c> quantizes the input once, multiplies
/// it by the Q, K and V weights side by side in one int8 product and does the rest in one kernel.
/// Its arithmetic is the same (the same int8 weights, per column, and the same dynamic uint8
/// input), so the vectors do not change (measured: cosine 1.0000 to the unfused int8 model's).
/// </para>
/// <para>
/// The pattern is matched exactly, from each <c>Softmax</c> back to the three products and forward
/// to the context's reshape; a block that differs in any part is left as it is. The attention mask
/// must be the usual extended mask, (1 − <c>attention_mask</c>) × a large negative number; the fused
/// node takes <c>attention_mask</c> itself (1 = attend, 0 = padding).
/// </para>
/// </summary>
internal static class AttentionFusion
{
    /// <summary>Fuses every matching block in place (the nodes it replaces are left for <see cref="OnnxGraph.RemoveDeadNodes"/>); returns how many it fused.</summary>
    public static int Fuse(GraphProto graph)
    {
        var index = OnnxGraph.Of(graph);
        var graphInputs = graph.Input.Select(i => i.Name).ToHashSet(StringComparer.Ordinal);
        var replacements = new Dictionary<NodeProto, NodeProto[]>(ReferenceEqualityComparer.Instance);
        var quantizedInputs = new Dictionary<string, (string Value, string Scale, string ZeroPoint)>(StringComparer.Ordinal);
        string? maskInput = null;
        var fused = 0;
        foreach (var softmax in graph.Node.Where(n => n.OpType == "Softmax" && n.Domain.Length == 0).ToArray())
        {
            if (Match(softmax, index, graphInputs) is not { } block
                || (maskInput is not null && block.MaskInput != maskInput))
            {
                continue;
            }

            maskInput = block.MaskInput;
            var name = $"streamrag_attention_{fused}";
            var nodes = new List<NodeProto>();
            if (!quantizedInputs.TryGetValue(block.Input, out var input))
            {
                input = ($"{name}_input_uint8", $"{name}_input_scale", $"{name}_input_zero_point");
                quantizedInputs[block.Input] = input;
                var quantize = new NodeProto { Name = $"{name}_quantize", OpType = "DynamicQuantizeLinear", Domain = "" };
                quantize.Input.Add(block.Input);
                quantize.Output.Add([input.Value, input.Scale, input.ZeroPoint]);
                nodes.Add(quantize);
            }

            var weights = JoinWeights(name, block.Products, index.Initializers, graph);
            var attention = new NodeProto { Name = name, OpType = "QAttention", Domain = OnnxGraph.MicrosoftDomain };
            attention.Input.Add([input.Value, weights.Weight, weights.Bias, input.Scale, weights.Scale, MaskName, input.ZeroPoint, weights.ZeroPoint]);
            attention.Output.Add(block.Context.Output[0]);
            attention.Attribute.Add(new AttributeProto { Name = "num_heads", I = block.Heads, Type = AttributeProto.Types.AttributeType.Int });
            nodes.Add(attention);
            replacements[block.Context] = [.. nodes];
            fused++;
        }

        if (fused == 0)
        {
            return 0;
        }

        var cast = new NodeProto { Name = MaskName, OpType = "Cast", Domain = "" };
        cast.Input.Add(maskInput);
        cast.Output.Add(MaskName);
        cast.Attribute.Add(new AttributeProto { Name = "to", I = (int)TensorProto.Types.DataType.Int32, Type = AttributeProto.Types.AttributeType.Int });
        var rewritten = new List<NodeProto>(graph.Node.Count) { cast };
        foreach (var node in graph.Node)
        {
            rewritten.AddRange(replacements.TryGetValue(node, out var instead) ? instead : [node]);
        }

        graph.Node.Clear();
        graph.Node.AddRange(rewritten);
        return fused;
    }

    private const string MaskName = "streamrag_attention_mask_int32";

    /// <summary>One self-attention block: its input, its Q, K and V products, the node giving its context, and its head count.</summary>
    private sealed record Block(string Input, NodeProto[] Products, NodeProto Context, int Heads, string MaskInput);

    private static Block? Match(NodeProto softmax, OnnxGraph index, HashSet<string> graphInputs)
    {
        var initializers = index.Initializers;
        // Forward: softmax · Vᵀ → transpose (0,2,1,3) → reshape = the context.
        if (index.Only(softmax.Output[0]) is not { OpType: "MatMul" } weighted || weighted.Input[0] != softmax.Output[0]
            || index.Only(weighted.Output[0]) is not { OpType: "Transpose" } merge || !Perm(merge, 0, 2, 1, 3)
            || ReshapeOf(index, merge.Output[0]) is not { } context)
        {
            return null;
        }

        // Back: softmax ← add(mask) ← div(√head size) ← Q·Kᵀ.
        if (index.Producer(softmax.Input[0]) is not { OpType: "Add" } masked
            || masked.Input.Select(i => index.Producer(i)).FirstOrDefault(p => p is { OpType: "Div" }) is not { } scaled
            || index.Producer(scaled.Input[0]) is not { OpType: "MatMul" } scores
            || index.ScalarOf(scaled.Input[1]) is not { } divisor
            || MaskSource(masked.Input.First(i => i != scaled.Output[0]), index, graphInputs) is not { } maskInput)
        {
            return null;
        }

        if (Projection(scores.Input[0], [0, 2, 1, 3], index) is not { } q
            || Projection(scores.Input[1], [0, 2, 3, 1], index) is not { } k
            || Projection(weighted.Input[1], [0, 2, 1, 3], index) is not { } v
            || q.Input[0] != k.Input[0] || q.Input[0] != v.Input[0])
        {
            return null;
        }

        NodeProto[] products = [q, k, v];
        var hidden = initializers[q.Input[1]].Dims[0];
        if (products.Any(p => !initializers.TryGetValue(p.Input[1], out var w) || w.Dims.Count != 2 || w.Dims[0] != hidden || w.Dims[1] != hidden
                || !initializers.TryGetValue(p.Input[4], out var b) || b.Dims.Count != 1 || b.Dims[0] != hidden
                || !initializers.TryGetValue(p.Input[2], out var s) || s.Dims.Count != 1 || s.Dims[0] != hidden
                || !initializers.TryGetValue(p.Input[3], out var z) || z.Dims.Count != 0 || z.RawData.Span[0] != 0))
        {
            return null;
        }

        var headSize = (long)Math.Round(divisor * divisor);
        return headSize > 0 && hidden % headSize == 0 && Math.Abs(Math.Sqrt(headSize) - divisor) < 1e-3
            ? new Block(q.Input[0], products, context, checked((int)(hidden / headSize)), maskInput)
            : null;
    }

    /// <summary>The DynamicQuantizeMatMul (with a bias) behind transpose(<paramref name="perm"/>) ← reshape, or null.</summary>
    private static NodeProto? Projection(string value, long[] perm, OnnxGraph index) =>
        index.Producer(value) is { OpType: "Transpose" } transpose && Perm(transpose, perm)
        && index.Producer(transpose.Input[0]) is { OpType: "Reshape" } reshape
        && index.Producer(reshape.Input[0]) is { OpType: "DynamicQuantizeMatMul", Domain: OnnxGraph.MicrosoftDomain } product && product.Input.Count == 5
            ? product
            : null;

    /// <summary>The graph input the extended mask is made of, when it is (1 − Cast(Unsqueeze(Unsqueeze(input)))) × constant.</summary>
    private static string? MaskSource(string value, OnnxGraph index, HashSet<string> graphInputs)
    {
        if (index.Producer(value) is not { OpType: "Mul" } scale
            || scale.Input.Select(i => index.Producer(i)).FirstOrDefault(p => p is { OpType: "Sub" }) is not { } invert
            || index.ScalarOf(scale.Input.First(i => i != invert.Output[0])) is not < -1000
            || index.ScalarOf(invert.Input[0]) is not 1)
        {
            return null;
        }

        var current = invert.Input[1];
        for (var step = 0; step < 4 && !graphInputs.Contains(current); step++)
        {
            if (index.Producer(current) is not { OpType: "Cast" or "Unsqueeze" } node)
            {
                return null;
            }

            current = node.Input[0];
        }

        return graphInputs.Contains(current) ? current : null;
    }

    /// <summary>The one Reshape of <paramref name="value"/>, when everything else reading it only asks its shape (for the reshape's target).</summary>
    private static NodeProto? ReshapeOf(OnnxGraph index, string value) =>
        index.Consumers.TryGetValue(value, out var list) && list.Count(n => n.OpType == "Reshape") == 1 && list.All(n => n.OpType is "Reshape" or "Shape")
            ? list.Single(n => n.OpType == "Reshape")
            : null;

    private static bool Perm(NodeProto transpose, params long[] perm) =>
        transpose.Attribute.FirstOrDefault(a => a.Name == "perm") is { } attribute && attribute.Ints.SequenceEqual(perm);

    /// <summary>The Q, K and V weights side by side ([hidden, 3 × hidden]), their scales and biases likewise, as new initializers.</summary>
    private static (string Weight, string Scale, string Bias, string ZeroPoint) JoinWeights(string name, NodeProto[] products, Dictionary<string, TensorProto> initializers, GraphProto graph)
    {
        var parts = products.Select(p => initializers[p.Input[1]]).ToArray();
        var rows = checked((int)parts[0].Dims[0]);
        var columns = checked((int)parts[0].Dims[1]);
        var weight = new byte[rows * columns * parts.Length];
        for (var r = 0; r < rows; r++)
        {
            for (var p = 0; p < parts.Length; p++)
            {
                parts[p].RawData.Span.Slice(r * columns, columns).CopyTo(weight.AsSpan(((r * parts.Length) + p) * columns, columns));
            }
        }

        var names = ($"{name}_qkv_int8", $"{name}_qkv_scale", $"{name}_qkv_bias", $"{name}_qkv_zero_point");
        graph.Initializer.Add(Tensor(names.Item1, TensorProto.Types.DataType.Int8, weight, rows, columns * parts.Length));
        graph.Initializer.Add(Tensor(names.Item2, TensorProto.Types.DataType.Float, Joined(products.Select(p => initializers[p.Input[2]])), columns * parts.Length));
        graph.Initializer.Add(Tensor(names.Item3, TensorProto.Types.DataType.Float, Joined(products.Select(p => initializers[p.Input[4]])), columns * parts.Length));
        graph.Initializer.Add(Tensor(names.Item4, TensorProto.Types.DataType.Int8, [0]));
        return names;
    }

    private static byte[] Joined(IEnumerable<TensorProto> vectors) =>
        vectors.SelectMany(v => v.HasRawData ? v.RawData.ToByteArray() : MemoryMarshal.AsBytes(v.FloatData.ToArray().AsSpan()).ToArray()).ToArray();

    private static TensorProto Tensor(string name, TensorProto.Types.DataType type, byte[] data, params long[] dims)
    {
        var tensor = new TensorProto { Name = name, DataType = (int)type, RawData = ByteString.CopyFrom(data) };
        tensor.Dims.Add(dims);
        return tensor;
    }

}
