using StreamRag.Admin;

namespace StreamRag.Cli.Commands;

/// <summary>The one dead letter an id names within --stream; none or one in each stream is a clear error.</summary>
internal static class DeadLetterLookup
{
    public static async Task<DeadLetter> OneAsync(DeadLetterStore store, string id, IReadOnlyList<DeadLetterStream> streams)
    {
        var found = await store.FindAsync(id, streams);
        return found.Count switch
        {
            1 => found[0],
            0 => throw new CliException(ExitCodes.Incomplete, $"no dead letter {id} in {(streams.Count == 1 ? $"the {streams[0].ToString().ToLowerInvariant()} dead-letter stream" : "either dead-letter stream")}"),
            _ => throw CliException.Usage($"dead letter {id} is in both dead-letter streams (ids are per stream); add --stream documents or --stream queries"),
        };
    }
}
