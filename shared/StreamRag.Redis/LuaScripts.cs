namespace StreamRag.Redis;

/// <summary>
/// The Lua scripts a project ships as embedded resources (<c>Scripts/*.lua</c>, <c>EmbeddedResource</c> in its
/// .csproj), read once when its type is initialised: a missing one is a build mistake, so it throws.
/// </summary>
public static class LuaScripts
{
    /// <summary>The text of <c>Scripts/{name}</c> embedded in the assembly of <paramref name="owner"/>.</summary>
    public static string Read(Type owner, string name)
    {
        ArgumentNullException.ThrowIfNull(owner);
        var assembly = owner.Assembly;
        var resource = $"{assembly.GetName().Name}.Scripts.{name}";
        using var stream = assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"embedded script {resource} is missing");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
