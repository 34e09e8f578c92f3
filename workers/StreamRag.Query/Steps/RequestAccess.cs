using StreamRag.Contracts;
using StreamRag.Redis;
using StreamRag.Security;

namespace StreamRag.Query;

/// <summary>
/// The access step (docs/security.md), before any work: with tokens required, a reply may go only
/// to the requesting tenant's own reply namespace (else nobody may hear it: dead-lettered), and the
/// request's token must grant its tenant the <c>query</c> scope, and a watch may notify only into
/// its tenant's own watch namespace (else an <c>unauthorized</c> reply).
/// With tokens off, everything passes, as before.
/// </summary>
internal sealed partial class RequestAccess(TenantTokenValidator tokens, KeySchema keys, ILogger<RequestAccess> logger)
{
    public async ValueTask<AccessDecision> CheckAsync(ParsedQueryRequest parsed)
    {
        if (!tokens.Required)
        {
            return AccessDecision.Granted;
        }

        var replyTo = parsed.ReplyTo!;
        if (parsed.Request is not { } request)
        {
            // A contract error carries nothing of any tenant; it still goes only into the fleet's reply namespace.
            return replyTo.StartsWith(keys.ReplyPrefix, StringComparison.Ordinal)
                ? AccessDecision.Granted
                : Undeliverable(parsed, $"reply_to '{DocumentEventParser.Truncate(replyTo)}' is outside the reply namespace '{keys.ReplyPrefix}'");
        }

        // A tenant name with ':' would overlap another tenant's namespace (tenant a's "rag:reply:a:*" covers tenant "a:b").
        if (request.Tenant.Contains(':', StringComparison.Ordinal) || !replyTo.StartsWith(keys.TenantReplyPrefix(request.Tenant), StringComparison.Ordinal))
        {
            return Undeliverable(parsed, $"reply_to '{DocumentEventParser.Truncate(replyTo)}' is outside tenant '{request.Tenant}''s reply namespace '{keys.TenantReplyPrefix(request.Tenant)}' (tenant names with ':' have none)");
        }

        var check = await tokens.CheckAsync(parsed.Token, request.Tenant, TokenScope.Query);
        var refusal = !check.Granted ? check.Reason
            // Another tenant's app may read another namespace: a watch notifies only into its own tenant's.
            : request.Watch is { } watch && !watch.NotifyTo.StartsWith(keys.TenantWatchStreamPrefix(request.Tenant), StringComparison.Ordinal)
                ? $"notify_to '{DocumentEventParser.Truncate(watch.NotifyTo)}' is outside tenant '{request.Tenant}''s watch namespace '{keys.TenantWatchStreamPrefix(request.Tenant)}'"
                : null;
        if (refusal is null)
        {
            return AccessDecision.Granted;
        }

        Log.Refused(logger, request.RequestId, request.Tenant, refusal);
        return new AccessDecision(refusal, null);
    }

    private AccessDecision Undeliverable(ParsedQueryRequest parsed, string why)
    {
        Log.Undeliverable(logger, parsed.RequestId, why);
        return new AccessDecision(null, $"{ErrorCodes.Unauthorized}: {why}; no reply is sent outside it");
    }

    private static partial class Log
    {
        [LoggerMessage(5900, LogLevel.Information, "Refused query {Id} of tenant {Tenant}: {Reason}")]
        public static partial void Refused(ILogger logger, string id, string tenant, string reason);

        [LoggerMessage(5901, LogLevel.Information, "Dead-lettered query {Id}: {Reason}")]
        public static partial void Undeliverable(ILogger logger, string? id, string reason);
    }
}

/// <summary>What the access step decided: go on, reply <c>unauthorized</c> with <see cref="Refusal"/>, or dead-letter with <see cref="DeadLetter"/>.</summary>
internal readonly record struct AccessDecision(string? Refusal, string? DeadLetter)
{
    public static AccessDecision Granted { get; } = new(null, null);
}
