using System.Diagnostics;
using StackExchange.Redis;
using StreamRag.Contracts;
using StreamRag.Redis;

namespace StreamRag.Client;

/// <summary>The producer side: document events onto the document-events stream.</summary>
public sealed partial class StreamRagClient
{
    /// <summary>Posts an upsert event; returns its stream id.</summary>
    public async Task<string> UpsertDocumentAsync(DocumentUpsert document, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(document);
        var withToken = document.Token is null && Token is not null ? document with { Token = Token } : document;
        return await AddEventAsync(keys.DocumentEventsOf(document.Tenant, document.Id), UpsertFields(withToken)).WaitAsync(cancellationToken);
    }

    /// <summary>The stream fields of an upsert event, as <see cref="UpsertDocumentAsync"/> posts them.</summary>
    public static NameValueEntry[] UpsertFields(DocumentUpsert document)
    {
        ArgumentNullException.ThrowIfNull(document);
        var fields = new List<NameValueEntry>
        {
            new(DocumentEventFields.ContractVersion, 1),
            new(DocumentEventFields.Operation, "upsert"),
            new(DocumentEventFields.Id, document.Id),
            new(DocumentEventFields.Version, document.Version),
            new(DocumentEventFields.Content, document.Content),
            new(DocumentEventFields.Source, document.Source),
            new(DocumentEventFields.Tenant, document.Tenant),
        };
        if (document.Token is { } token)
        {
            fields.Add(new(DocumentEventFields.Token, token));
        }

        if (TraceParent.Of(Activity.Current) is { } traceParent)
        {
            // The producer's span: the embedder's write of this document continues its trace.
            fields.Add(new(DocumentEventFields.TraceParent, traceParent));
        }

        if (document.Tags.Count > 0)
        {
            fields.Add(new(DocumentEventFields.Tags, string.Join(',', document.Tags)));
        }

        if (document.Timestamp is { } ts)
        {
            fields.Add(new(DocumentEventFields.Timestamp, ts.ToUnixTimeMilliseconds()));
        }

        if (document.Ttl is { } ttl)
        {
            fields.Add(new(DocumentEventFields.TtlSeconds, (long)Math.Ceiling(ttl.TotalSeconds)));
        }

        return fields.ToArray();
    }

    /// <summary>Posts a delete event (with the client's <see cref="Token"/>, if any); returns its stream id.</summary>
    public async Task<string> DeleteDocumentAsync(string id, long version, string tenant = DocumentEventParser.DefaultTenant, CancellationToken cancellationToken = default)
    {
        NameValueEntry[] fields =
        [
            new(DocumentEventFields.ContractVersion, 1),
            new(DocumentEventFields.Operation, "delete"),
            new(DocumentEventFields.Id, id),
            new(DocumentEventFields.Version, version),
            new(DocumentEventFields.Tenant, tenant),
        ];
        if (Token is { } token)
        {
            fields = [.. fields, new(DocumentEventFields.Token, token)];
        }

        return await AddEventAsync(
            keys.DocumentEventsOf(tenant, id),
            TraceParent.Of(Activity.Current) is { } traceParent ? [.. fields, new(DocumentEventFields.TraceParent, traceParent)] : fields);
    }

    /// <summary>
    /// XADD to the document's partition; with <c>Redis:WaitForReplicas</c>, returns only once that
    /// many replicas have the event (else throws <see cref="ReplicasNotAcknowledgedException"/>: the
    /// event may or may not survive a failover, so post it again; the version makes that harmless).
    /// </summary>
    private async Task<string> AddEventAsync(RedisKey stream, NameValueEntry[] fields)
    {
        await CheckPartitionsAsync();
        var id = (string)(await redis.GetDatabase().StreamAddAsync(stream, fields))!;
        await replicas.WaitAsync(redis, [stream]);
        return id;
    }

    /// <summary>
    /// Once: the number of stream partitions the index manifest records must be this client's. No
    /// manifest yet (no host has started) is checked again on the next write; a producer whose ACL
    /// user may not read the manifest (an older users.acl) writes unchecked.
    /// </summary>
    /// <exception cref="InvalidOperationException">The manifest records another number of partitions.</exception>
    private async Task CheckPartitionsAsync()
    {
        if (partitionsChecked)
        {
            return;
        }

        RedisValue recorded;
        try
        {
            recorded = await redis.GetDatabase().HashGetAsync(keys.IndexManifest, KeySchema.StreamPartitionsManifestField);
        }
        catch (RedisServerException ex) when (ex.Message.StartsWith("NOPERM", StringComparison.Ordinal))
        {
            ClientLog.PartitionsUnchecked(logger, ex, keys.IndexManifest.ToString());
            partitionsChecked = true;
            return;
        }

        if (recorded.IsNull)
        {
            return;
        }

        if (!recorded.TryParse(out int partitions) || partitions != keys.StreamPartitions)
        {
            throw new InvalidOperationException(
                $"this client writes {keys.StreamPartitions} stream partition(s) (Streams:Partitions) but the index under prefix '{keys.Prefix}' "
                + $"records {recorded} in {keys.IndexManifest}: its workers would never read some of what this client writes. "
                + $"Configure Streams:Partitions={recorded} (docs/contract.md#stream-partitions).");
        }

        partitionsChecked = true;
    }
}
