using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using StreamRag.Embedding;

namespace StreamRag.TestSupport;

/// <summary>What the stub does with one request instead of answering it well.</summary>
public enum StubFaultKind
{
    None,

    /// <summary>An HTTP error status, with a <c>Retry-After</c> header when one is given.</summary>
    Status,

    /// <summary>Never answers (until the server is disposed): the client's timeout must fire.</summary>
    Hang,

    /// <summary>200 with a body that is not JSON.</summary>
    MalformedJson,

    /// <summary>200 with vectors of another length than configured.</summary>
    WrongDimension,

    /// <summary>200 with one vector fewer than inputs.</summary>
    WrongCount,
}

/// <summary>A scripted misbehaviour of the stub.</summary>
public sealed record StubFault(StubFaultKind Kind, int Status = 0, string? RetryAfter = null, int Value = 0)
{
    public static StubFault None { get; } = new(StubFaultKind.None);

    public static StubFault Hang { get; } = new(StubFaultKind.Hang);

    public static StubFault MalformedJson { get; } = new(StubFaultKind.MalformedJson);

    public static StubFault WrongCount { get; } = new(StubFaultKind.WrongCount);

    /// <summary>429 with <c>Retry-After</c> (seconds, or an HTTP date).</summary>
    public static StubFault RateLimited(string retryAfter) => new(StubFaultKind.Status, 429, retryAfter);

    public static StubFault Error(int status) => new(StubFaultKind.Status, status);

    public static StubFault WrongDimension(int dimensions) => new(StubFaultKind.WrongDimension, Value: dimensions);
}

/// <summary>One request the stub received.</summary>
/// <param name="At">When it arrived, by the stub's clock (a FakeTimeProvider in tests).</param>
/// <param name="BatchSize">Inputs of an embeddings request; messages of a chat request.</param>
/// <param name="Dimensions">The <c>dimensions</c> field, if the client sent one.</param>
public sealed record StubRequest(string Path, DateTimeOffset At, int BatchSize, string? Model, int? Dimensions, string? Authorization, string Body);

/// <summary>
/// A local stand-in for an OpenAI-compatible server (HttpListener on 127.0.0.1, a free port):
/// <c>POST /v1/embeddings</c> answers with deterministic vectors (the offline hashing embedder's,
/// so retrieval over them works), batch-aware, in float or base64 encoding; <c>POST /v1/chat/completions</c>
/// answers with <see cref="ChatResponder"/>'s text. Faults are scripted per request
/// (<see cref="EnqueueEmbeddingFault"/>, <see cref="EnqueueChatFault"/>) or held (<see cref="EmbeddingMode"/>,
/// <see cref="ChatMode"/>), and every request is recorded.
/// </summary>
public sealed partial class StubOpenAIServer : IAsyncDisposable
{
    /// <summary>An embeddings input containing this always gets a vector of half the configured length: one that can never be stored.</summary>
    public const string WrongDimensionMarker = "WRONGDIM";

    private readonly HttpListener listener;
    private readonly TimeProvider time;
    private readonly CancellationTokenSource stopping = new();
    private readonly ConcurrentQueue<StubFault> embeddingFaults = new();
    private readonly ConcurrentQueue<StubFault> chatFaults = new();
    private readonly List<StubRequest> requests = [];
    private readonly List<Task> handlers = [];
    private readonly Task loop;
    private readonly Lock gate = new();
    private HashingEmbeddingGenerator embedder;

    public StubOpenAIServer(int dimensions = 16, TimeProvider? time = null)
    {
        this.time = time ?? TimeProvider.System;
        embedder = new HashingEmbeddingGenerator(dimensions);
        (listener, Port) = Listen();
        loop = Task.Run(AcceptLoopAsync);
    }

    public int Port { get; }

    /// <summary>Base URL for the OpenAI SDK (it appends <c>/embeddings</c>, <c>/chat/completions</c>).</summary>
    public string BaseUrl => $"http://127.0.0.1:{Port}/v1";

    /// <summary>Length of the vectors served.</summary>
    public int Dimensions
    {
        get => embedder.Dimensions;
        set => embedder = new HashingEmbeddingGenerator(value);
    }

    /// <summary>Fault applied to every embeddings request when no scripted one is queued (e.g. 503 while "down").</summary>
    public StubFault EmbeddingMode { get; set; } = StubFault.None;

    /// <summary>Fault applied to every chat request when no scripted one is queued.</summary>
    public StubFault ChatMode { get; set; } = StubFault.None;

    /// <summary>The assistant's text for a chat request, from the system and user messages.</summary>
    public Func<string, string, string> ChatResponder { get; set; } = CiteFirstPassage;

    public void EnqueueEmbeddingFault(params StubFault[] faults)
    {
        foreach (var fault in faults)
        {
            embeddingFaults.Enqueue(fault);
        }
    }

    public void EnqueueChatFault(params StubFault[] faults)
    {
        foreach (var fault in faults)
        {
            chatFaults.Enqueue(fault);
        }
    }

    public IReadOnlyList<StubRequest> Requests
    {
        get
        {
            lock (gate)
            {
                return requests.ToArray();
            }
        }
    }

    public IReadOnlyList<StubRequest> EmbeddingRequests => Requests.Where(r => r.Path.EndsWith("/embeddings", StringComparison.Ordinal)).ToArray();

    public IReadOnlyList<StubRequest> ChatRequests => Requests.Where(r => r.Path.EndsWith("/chat/completions", StringComparison.Ordinal)).ToArray();

    /// <summary>Default chat reply: cites the first <c>[doc#n]</c> of the user message, as a grounded model would.</summary>
    public static string CiteFirstPassage(string system, string user)
    {
        var first = CitationPattern().Match(user ?? "");
        return first.Success ? $"According to the passages, the answer is there {first.Value}." : "I cannot tell from the passages.";
    }

    [GeneratedRegex(@"\[[^\[\]\s]+#\d+\]")]
    private static partial Regex CitationPattern();

    private static (HttpListener, int) Listen()
    {
        for (var attempt = 0; ; attempt++)
        {
            // A port the OS just handed out is almost surely still free a moment later; retry if not.
            var probe = new TcpListener(IPAddress.Loopback, 0);
            probe.Start();
            var port = ((IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();
            var http = new HttpListener();
            http.Prefixes.Add($"http://127.0.0.1:{port}/");
            try
            {
                http.Start();
                return (http, port);
            }
            catch (HttpListenerException) when (attempt < 10)
            {
                http.Close();
            }
        }
    }

    private async Task AcceptLoopAsync()
    {
        while (!stopping.IsCancellationRequested)
        {
            HttpListenerContext context;
            try
            {
                context = await listener.GetContextAsync();
            }
            catch (Exception) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (HttpListenerException)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }

            lock (gate)
            {
                handlers.RemoveAll(t => t.IsCompleted);
                handlers.Add(Task.Run(() => HandleAsync(context)));
            }
        }
    }

    private async Task HandleAsync(HttpListenerContext context)
    {
        try
        {
            var path = context.Request.Url?.AbsolutePath ?? "";
            string body;
            using (var reader = new StreamReader(context.Request.InputStream, Encoding.UTF8))
            {
                body = await reader.ReadToEndAsync(stopping.Token);
            }

            var json = TryParse(body);
            var authorization = context.Request.Headers["Authorization"];
            if (context.Request.HttpMethod == "POST" && path.EndsWith("/embeddings", StringComparison.Ordinal))
            {
                var inputs = Inputs(json?["input"]);
                Record(new StubRequest(path, time.GetUtcNow(), inputs.Count, (string?)json?["model"], (int?)json?["dimensions"], authorization, body));
                await EmbeddingsAsync(context.Response, json, inputs, Next(embeddingFaults, EmbeddingMode));
            }
            else if (context.Request.HttpMethod == "POST" && path.EndsWith("/chat/completions", StringComparison.Ordinal))
            {
                var messages = json?["messages"] as JsonArray ?? [];
                Record(new StubRequest(path, time.GetUtcNow(), messages.Count, (string?)json?["model"], null, authorization, body));
                await ChatAsync(context.Response, json, messages, Next(chatFaults, ChatMode));
            }
            else
            {
                await WriteAsync(context.Response, 404, """{"error":{"message":"no such route","type":"invalid_request_error"}}""");
            }
        }
        catch (Exception) when (stopping.IsCancellationRequested)
        {
            // Disposed mid-request (a hanging reply, or a client that gave up).
        }
        catch (HttpListenerException)
        {
            // The client closed the connection first (its timeout fired).
        }
        catch (IOException)
        {
        }
        finally
        {
            try
            {
                context.Response.Close();
            }
            catch (Exception)
            {
                // Already closed or aborted.
            }
        }
    }

    private static StubFault Next(ConcurrentQueue<StubFault> queue, StubFault mode) =>
        queue.TryDequeue(out var fault) ? fault : mode;

    private void Record(StubRequest request)
    {
        lock (gate)
        {
            requests.Add(request);
        }
    }

    private async Task<bool> ApplyCommonFaultAsync(HttpListenerResponse response, StubFault fault)
    {
        switch (fault.Kind)
        {
            case StubFaultKind.Status:
                if (fault.RetryAfter is not null)
                {
                    response.AddHeader("Retry-After", fault.RetryAfter);
                }

                var type = fault.Status == 429 ? "rate_limit_exceeded" : fault.Status >= 500 ? "server_error" : "invalid_request_error";
                await WriteAsync(response, fault.Status, $$$"""{"error":{"message":"stub fault {{{fault.Status}}}","type":"{{{type}}}"}}""");
                return true;
            case StubFaultKind.Hang:
                await Task.Delay(Timeout.Infinite, stopping.Token);
                return true;
            case StubFaultKind.MalformedJson:
                await WriteAsync(response, 200, "<html>upstream says hello</html>");
                return true;
            default:
                return false;
        }
    }

    private async Task EmbeddingsAsync(HttpListenerResponse response, JsonNode? json, List<string> inputs, StubFault fault)
    {
        if (await ApplyCommonFaultAsync(response, fault))
        {
            return;
        }

        var generator = fault.Kind == StubFaultKind.WrongDimension ? new HashingEmbeddingGenerator(fault.Value) : embedder;
        var count = fault.Kind == StubFaultKind.WrongCount ? Math.Max(0, inputs.Count - 1) : inputs.Count;
        var base64 = (string?)json?["encoding_format"] == "base64";
        var data = new JsonArray();
        for (var i = 0; i < count; i++)
        {
            var vector = inputs[i].Contains(WrongDimensionMarker, StringComparison.Ordinal)
                ? new HashingEmbeddingGenerator(Math.Max(1, generator.Dimensions / 2)).Embed(inputs[i])
                : generator.Embed(inputs[i]);
            JsonNode embedding = base64 ? JsonValue.Create(ToBase64(vector)) : new JsonArray(vector.Select(x => (JsonNode?)JsonValue.Create(x)).ToArray());
            data.Add(new JsonObject { ["object"] = "embedding", ["index"] = i, ["embedding"] = embedding });
        }

        var tokens = inputs.Sum(t => t.Length / 4 + 1);
        var reply = new JsonObject
        {
            ["object"] = "list",
            ["data"] = data,
            ["model"] = (string?)json?["model"] ?? "stub",
            ["usage"] = new JsonObject { ["prompt_tokens"] = tokens, ["total_tokens"] = tokens },
        };
        await WriteAsync(response, 200, reply.ToJsonString());
    }

    private async Task ChatAsync(HttpListenerResponse response, JsonNode? json, JsonArray messages, StubFault fault)
    {
        if (await ApplyCommonFaultAsync(response, fault))
        {
            return;
        }

        var system = string.Join("\n", messages.Where(m => (string?)m?["role"] is "system" or "developer").Select(m => TextOf(m?["content"])));
        var user = string.Join("\n", messages.Where(m => (string?)m?["role"] == "user").Select(m => TextOf(m?["content"])));
        var reply = new JsonObject
        {
            ["id"] = "chatcmpl-stub",
            ["object"] = "chat.completion",
            ["created"] = time.GetUtcNow().ToUnixTimeSeconds(),
            ["model"] = (string?)json?["model"] ?? "stub",
            ["choices"] = new JsonArray(new JsonObject
            {
                ["index"] = 0,
                ["message"] = new JsonObject { ["role"] = "assistant", ["content"] = ChatResponder(system, user) },
                ["finish_reason"] = "stop",
            }),
            ["usage"] = new JsonObject { ["prompt_tokens"] = 10, ["completion_tokens"] = 10, ["total_tokens"] = 20 },
        };
        await WriteAsync(response, 200, reply.ToJsonString());
    }

    private static string TextOf(JsonNode? content) => content switch
    {
        JsonValue v => (string?)v ?? "",
        JsonArray parts => string.Concat(parts.Select(p => (string?)p?["text"] ?? "")),
        _ => "",
    };

    private static List<string> Inputs(JsonNode? input) => input switch
    {
        JsonValue v => [(string?)v ?? ""],
        JsonArray items => items.Select(i => i is JsonValue ? (string?)i ?? "" : i?.ToJsonString() ?? "").ToList(),
        _ => [],
    };

    private static string ToBase64(float[] vector)
    {
        var bytes = new byte[vector.Length * 4];
        for (var i = 0; i < vector.Length; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 4), vector[i]);
        }

        return Convert.ToBase64String(bytes);
    }

    private static JsonNode? TryParse(string body)
    {
        try
        {
            return JsonNode.Parse(body);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private async Task WriteAsync(HttpListenerResponse response, int status, string body)
    {
        var bytes = Encoding.UTF8.GetBytes(body);
        response.StatusCode = status;
        response.ContentType = body.StartsWith('<') ? "text/html" : "application/json";
        response.ContentLength64 = bytes.Length;
        await response.OutputStream.WriteAsync(bytes, stopping.Token);
    }

    public async ValueTask DisposeAsync()
    {
        await stopping.CancelAsync();
        listener.Stop();
        listener.Close();
        await loop;
        Task[] pending;
        lock (gate)
        {
            pending = handlers.ToArray();
        }

        await Task.WhenAll(pending);
        stopping.Dispose();
    }
}
