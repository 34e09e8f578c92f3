using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace StreamRag.Redis;

/// <summary>How the input streams are laid out (configuration section <c>Streams</c>).</summary>
public sealed class StreamOptions
{
    public const string Section = "Streams";

    /// <summary>
    /// Partitions of the document-events stream and of the query-request stream. With 1 (the
    /// default) the streams keep their unpartitioned names (<c>{prefix}:{docs}:events</c>); with N
    /// each is N streams with distinct hash tags, so on a Redis Cluster they spread over the masters.
    /// Every host and producer of one index must use the same N: it is recorded in the index manifest.
    /// </summary>
    [Range(1, KeySchema.MaxStreamPartitions)]
    public int Partitions { get; set; } = 1;
}

[OptionsValidator]
public sealed partial class StreamOptionsValidator : IValidateOptions<StreamOptions>;
