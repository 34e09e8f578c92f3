using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace StreamRag.TestSupport;

/// <summary>
/// Tokens an attacker could make without the private key, built by hand on purpose (the library
/// would refuse to make them): unsigned, HMAC-signed, or a real token with its payload changed.
/// </summary>
internal static class ForgedTokens
{
    /// <summary><c>alg: none</c>, empty signature, with whatever claims the attacker likes.</summary>
    public static string Unsigned(string kid, string[] tenants, string scope, DateTimeOffset expires) =>
        Encode(new JsonObject { ["alg"] = "none", ["typ"] = "JWT", ["kid"] = kid }) + "." + Encode(Claims(tenants, scope, expires)) + ".";

    /// <summary>
    /// HS256 with <paramref name="secret"/> as the HMAC key: the classic key-confusion attack when the
    /// secret is the (public) verification key's PEM.
    /// </summary>
    public static string Hmac(string kid, byte[] secret, string[] tenants, string scope, DateTimeOffset expires)
    {
        var signed = Encode(new JsonObject { ["alg"] = "HS256", ["typ"] = "JWT", ["kid"] = kid }) + "." + Encode(Claims(tenants, scope, expires));
        return signed + "." + Base64Url(HMACSHA256.HashData(secret, Encoding.ASCII.GetBytes(signed)));
    }

    /// <summary>A genuine token whose payload is rewritten by <paramref name="change"/>, its signature kept.</summary>
    public static string Tampered(string token, Action<JsonObject> change)
    {
        var parts = token.Split('.');
        var payload = JsonNode.Parse(FromBase64Url(parts[1]))!.AsObject();
        change(payload);
        return parts[0] + "." + Encode(payload) + "." + parts[2];
    }

    private static JsonObject Claims(string[] tenants, string scope, DateTimeOffset expires) => new()
    {
        ["aud"] = "streamrag",
        ["tenants"] = new JsonArray(tenants.Select(t => (JsonNode)JsonValue.Create(t)!).ToArray()),
        ["scope"] = scope,
        ["exp"] = expires.ToUnixTimeSeconds(),
    };

    private static string Encode(JsonNode node) => Base64Url(Encoding.UTF8.GetBytes(node.ToJsonString()));

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static byte[] FromBase64Url(string text)
    {
        var padded = text.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(padded + new string('=', (4 - (padded.Length % 4)) % 4));
    }
}
