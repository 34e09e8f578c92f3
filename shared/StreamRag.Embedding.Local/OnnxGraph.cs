using System.Runtime.InteropServices;
using StreamRag.Embedding.Local.Onnx;

namespace StreamRag.Embedding.Local;

/// <summary>What the int8 rewrites (<see cref="Int8Quantizer"/>, <see cref="AttentionFusion"/>, <see cref="GeluApproximation"/>) read off a graph.</summary>
internal sealed class OnnxGraph
{
    /// <summary>The domain of ONNX Runtime's contrib ops.</summary>
    public const string MicrosoftDomain = "com.microsoft";

    private OnnxGraph(GraphProto graph)
    {
        foreach (var node in graph.Node)
        {
            foreach (var output in node.Output)
            {
                Producers[output] = node;
            }

            foreach (var input in node.Input)
            {
                if (!Consumers.TryGetValue(input, out var list))
                {
                    Consumers[input] = list = [];
                }

                list.Add(node);
            }
        }

        Initializers = graph.Initializer.ToDictionary(t => t.Name, StringComparer.Ordinal);
    }

    /// <summary>The node giving each value.</summary>
    public Dictionary<string, NodeProto> Producers { get; } = new(StringComparer.Ordinal);

    /// <summary>The nodes reading each value.</summary>
    public Dictionary<string, List<NodeProto>> Consumers { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, TensorProto> Initializers { get; }

    /// <summary>The graph's nodes indexed as they are now (a rewrite that changes them indexes again).</summary>
    public static OnnxGraph Of(GraphProto graph) => new(graph);

    /// <summary>The node giving <paramref name="value"/>, if a standard or contrib node does.</summary>
    public NodeProto? Producer(string value) =>
        Producers.TryGetValue(value, out var node) && node.Domain is "" or MicrosoftDomain ? node : null;

    /// <summary>The one node reading <paramref name="value"/>, if only one does.</summary>
    public NodeProto? Only(string value) =>
        Consumers.TryGetValue(value, out var list) && list.Count == 1 ? list[0] : null;

    /// <summary>The value of a float scalar given by a Constant node or an initializer.</summary>
    public double? ScalarOf(string value)
    {
        var tensor = Initializers.TryGetValue(value, out var t) ? t
            : Producer(value) is { OpType: "Constant" } constant ? constant.Attribute.FirstOrDefault(a => a.Name == "value")?.T
            : null;
        if (tensor is null || tensor.DataType != (int)TensorProto.Types.DataType.Float || tensor.Dims.Aggregate(1L, (a, d) => a * d) != 1)
        {
            return null;
        }

        return tensor.HasRawData ? MemoryMarshal.Read<float>(tensor.RawData.Span) : tensor.FloatData.Count == 1 ? tensor.FloatData[0] : null;
    }

    /// <summary>Keeps only the nodes an output of the graph depends on, in their order.</summary>
    public static void RemoveDeadNodes(GraphProto graph)
    {
        var producers = new Dictionary<string, NodeProto>(StringComparer.Ordinal);
        foreach (var node in graph.Node)
        {
            foreach (var output in node.Output)
            {
                producers[output] = node;
            }
        }

        var live = new HashSet<NodeProto>(ReferenceEqualityComparer.Instance);
        var pending = new Stack<string>(graph.Output.Select(o => o.Name));
        while (pending.TryPop(out var value))
        {
            if (producers.TryGetValue(value, out var node) && live.Add(node))
            {
                foreach (var input in node.Input.Where(i => i.Length > 0))
                {
                    pending.Push(input);
                }
            }
        }

        var kept = graph.Node.Where(live.Contains).ToArray();
        graph.Node.Clear();
        graph.Node.AddRange(kept);
    }
}
