using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text.Json;
using System.Threading.Channels;
using StackExchange.Redis;
using StreamRag.Client;
using StreamRag.Telemetry;

namespace StreamRag.IntegrationTests;

/// <summary>
/// Issue 13: a <c>traceparent</c> on a document event or a query request is continued by the
/// workers' spans, so one query can be followed across processes; a malformed one stops nothing.
/// </summary>
public sealed class TracingTests(RedisServerFixture redis)
{
    private const string TraceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    private const string CallerSpanId = "00f067aa0ba902b7";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Records every stopped StreamRag span of this test process (other tests' too: filter by trace id).</summary>
    private sealed class SpanRecorder : IDisposable
    {
        private readonly ActivityListener listener;

        public SpanRecorder()
        {
            listener = new ActivityListener
            {
                ShouldListenTo = s => s.Name == StreamRagTelemetry.ActivitySourceName,
                Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
                ActivityStopped = Stopped.Add,
            };
            ActivitySource.AddActivityListener(listener);
        }

        public ConcurrentBag<Activity> Stopped { get; } = [];

        public Activity[] Of(string traceId) => Stopped.Where(a => a.TraceId.ToHexString() == traceId).ToArray();

        public async Task<Activity[]> WaitForAsync(string traceId, Func<Activity[], bool> complete, string because)
        {
            await TestScope.EventuallyAsync(() => Task.FromResult(complete(Of(traceId))), because);
            return Of(traceId);
        }

        public void Dispose() => listener.Dispose();
    }

    private static string NewTraceId() => ActivityTraceId.CreateRandom().ToHexString();

    private static async Task<TestScope> StartFleetAsync(RedisServerFixture redis, params (string, string)[] queryOverrides)
    {
        var scope = new TestScope(redis, 1, "tracing");
        await scope.StartEmbedderAsync();
        await scope.StartQueryWorkerAsync(queryOverrides);
        await scope.Db.StreamAddAsync(scope.Keys.DocumentEvents, [new("id", "bees"), new("version", 1), new("content", "Honeybees live in a hive ruled by a queen.")]);
        await TestScope.EventuallyAsync(async () => await scope.Index().GetStateAsync("default", "bees", Ct) is not null, "the corpus is indexed");
        return scope;
    }

    /// <summary>Posts a raw request (as any language would) and returns the reply JSON.</summary>
    private static async Task<JsonElement> AskRawAsync(TestScope scope, params (string Name, RedisValue Value)[] fields)
    {
        var channel = $"{scope.Prefix}:reply:{Guid.NewGuid():N}";
        var replies = Channel.CreateUnbounded<string>();
        var subscription = await scope.Redis.Connection.GetSubscriber().SubscribeAsync(RedisChannel.Literal(channel));
        subscription.OnMessage(m => replies.Writer.TryWrite((string)m.Message!));
        try
        {
            await scope.Db.StreamAddAsync(scope.Keys.QueryRequests, [.. fields.Select(f => new NameValueEntry(f.Name, f.Value)), new("reply_to", channel)]);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(10));
            return JsonDocument.Parse(await replies.Reader.ReadAsync(timeout.Token)).RootElement.Clone();
        }
        finally
        {
            await subscription.UnsubscribeAsync();
        }
    }

    [Fact]
    public async Task QueryRequest_WithTraceParent_WorkerSpansAreItsChildren_AndTheReplyNamesTheTrace()
    {
        using var spans = new SpanRecorder();
        await using var scope = await StartFleetAsync(redis);
        var traceId = NewTraceId();

        var reply = await AskRawAsync(scope, ("id", "traced"), ("query", "queen bee hive"), ("mode", "answer"), ("traceparent", $"00-{traceId}-{CallerSpanId}-01"));

        Assert.Equal("ok", reply.GetProperty("status").GetString());
        Assert.Equal(traceId, reply.GetProperty("trace_id").GetString());
        var trace = await spans.WaitForAsync(traceId, t => t.Any(a => a.OperationName == SpanNames.Query), "the query span has ended");
        var query = Assert.Single(trace, a => a.OperationName == SpanNames.Query);
        Assert.Equal(CallerSpanId, query.ParentSpanId.ToHexString());
        Assert.Equal(ActivityKind.Consumer, query.Kind);
        Assert.Equal("traced", query.GetTagItem(SpanAttributes.RequestId));
        var children = trace.Where(a => a.ParentSpanId == query.SpanId).Select(a => a.OperationName).Order(StringComparer.Ordinal).ToArray();
        // The worker's default re-ranking is lexical, so a rerank span is expected.
        Assert.Equal([SpanNames.Embed, SpanNames.Generate, SpanNames.Publish, SpanNames.Rerank, SpanNames.Search], children);
    }

    [Fact]
    public async Task QueryRequest_WithoutTraceParent_StartsATraceOfItsOwn_AndTheReplyNamesIt()
    {
        using var spans = new SpanRecorder();
        await using var scope = await StartFleetAsync(redis);

        var reply = await AskRawAsync(scope, ("id", "untraced"), ("query", "queen bee hive"));

        var traceId = reply.GetProperty("trace_id").GetString()!;
        var trace = await spans.WaitForAsync(traceId, t => t.Any(a => a.OperationName == SpanNames.Query), "the query span has ended");
        Assert.Equal(default, Assert.Single(trace, a => a.OperationName == SpanNames.Query).ParentSpanId);
    }

    [Fact]
    public async Task ErrorReply_IsTracedToo()
    {
        using var spans = new SpanRecorder();
        await using var scope = await StartFleetAsync(redis);
        var traceId = NewTraceId();

        var reply = await AskRawAsync(scope, ("id", "bad"), ("query", "bees"), ("k", "0"), ("traceparent", $"00-{traceId}-{CallerSpanId}-01"));

        Assert.Equal("k_out_of_range", reply.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal(traceId, reply.GetProperty("trace_id").GetString());
        var trace = await spans.WaitForAsync(traceId, t => t.Any(a => a.OperationName == SpanNames.Query), "the query span has ended");
        var query = Assert.Single(trace, a => a.OperationName == SpanNames.Query);
        Assert.Equal(ActivityStatusCode.Error, query.Status);
        Assert.Equal("k_out_of_range", query.StatusDescription);
    }

    [Theory]
    [InlineData("garbage")]
    [InlineData("00-4BF92F3577B34DA6A3CE929D0E0E4736-00F067AA0BA902B7-01")]
    [InlineData("00-00000000000000000000000000000000-00f067aa0ba902b7-01")]
    [InlineData("")]
    public async Task MalformedTraceParent_RequestIsAnswered_AndEventIsIndexed(string traceParent)
    {
        await using var scope = await StartFleetAsync(redis);

        await scope.Db.StreamAddAsync(scope.Keys.DocumentEvents, [new("id", "wasps"), new("version", 1), new("content", "Wasps build paper nests."), new("traceparent", traceParent)]);
        var reply = await AskRawAsync(scope, ("id", "r"), ("query", "queen bee hive"), ("traceparent", traceParent));

        Assert.Equal("ok", reply.GetProperty("status").GetString());
        Assert.NotEqual(0, reply.GetProperty("results").GetArrayLength());
        await TestScope.EventuallyAsync(async () => await scope.Index().GetStateAsync("default", "wasps", Ct) is not null, "the event is indexed");
        Assert.Equal(0, await scope.Db.StreamLengthAsync(scope.Keys.DocumentDeadLetters));
        Assert.Equal(0, await scope.Db.StreamLengthAsync(scope.Keys.QueryDeadLetters));
    }

    [Fact]
    public async Task DocumentEvent_WithTraceParent_EmbedderWriteIsItsChild_AndTheBatchLinksIt()
    {
        using var spans = new SpanRecorder();
        await using var scope = new TestScope(redis);
        await scope.StartEmbedderAsync();
        var traceId = NewTraceId();

        await scope.Db.StreamAddAsync(scope.Keys.DocumentEvents, [new("id", "doc"), new("version", 1), new("content", "traced text"), new("traceparent", $"00-{traceId}-{CallerSpanId}-01")]);

        var trace = await spans.WaitForAsync(traceId, t => t.Any(a => a.OperationName == SpanNames.Write), "the write span has ended");
        var write = Assert.Single(trace, a => a.OperationName == SpanNames.Write);
        Assert.Equal(CallerSpanId, write.ParentSpanId.ToHexString());
        Assert.Equal("doc", write.GetTagItem(SpanAttributes.DocumentId));
        Assert.Equal(ActivityStatusCode.Unset, write.Status);
        await TestScope.EventuallyAsync(() => Task.FromResult(spans.Stopped.Any(a => a.OperationName == SpanNames.EmbedBatch && a.Links.Any(l => l.Context.TraceId.ToHexString() == traceId))), "the batch span links the event's trace");
        var batch = spans.Stopped.Single(a => a.OperationName == SpanNames.EmbedBatch && a.Links.Any(l => l.Context.TraceId.ToHexString() == traceId));
        Assert.Contains(write.Links, l => l.Context.SpanId == batch.SpanId);
    }

    /// <summary>The .NET client passes the caller's current span on: the CLI's posts get the same for free.</summary>
    [Fact]
    public async Task Client_SendsTheCurrentActivity_AsTraceParent()
    {
        using var spans = new SpanRecorder();
        await using var scope = await StartFleetAsync(redis);
        await using var client = new StreamRagClient(scope.Redis.Connection, scope.Keys);

        using var caller = new Activity("caller").SetIdFormat(ActivityIdFormat.W3C).Start();
        await client.UpsertDocumentAsync(new DocumentUpsert("lava", 1, "Volcanoes erupt when magma rises."), Ct);
        var reply = await client.QueryAsync("queen bee hive", cancellationToken: Ct);
        caller.Stop();

        var traceId = caller.TraceId.ToHexString();
        Assert.Equal(traceId, reply.TraceId);
        var trace = await spans.WaitForAsync(traceId, t => t.Any(a => a.OperationName == SpanNames.Query) && t.Any(a => a.OperationName == SpanNames.Write), "the query and write spans have ended");
        Assert.All(trace.Where(a => a.OperationName is SpanNames.Query or SpanNames.Write), a => Assert.Equal(caller.SpanId, a.ParentSpanId));
    }

    /// <summary>With <c>Telemetry:Otlp:Endpoint</c>, spans leave the process as OTLP/HTTP protobuf on <c>/v1/traces</c>.</summary>
    [Fact]
    public async Task OtlpEndpoint_SpansArePostedToV1Traces()
    {
        var port = LoopbackPorts.Any();
        using var collector = new HttpListener();
        collector.Prefixes.Add($"http://localhost:{port}/");
        collector.Start();
        var received = Channel.CreateUnbounded<(string Path, string? ContentType, byte[] Body)>();
        _ = Task.Run(async () =>
        {
            while (collector.IsListening)
            {
                HttpListenerContext context;
                try
                {
                    context = await collector.GetContextAsync();
                }
                catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException)
                {
                    return;
                }

                using var body = new MemoryStream();
                await context.Request.InputStream.CopyToAsync(body, Ct);
                received.Writer.TryWrite((context.Request.Url!.AbsolutePath, context.Request.ContentType, body.ToArray()));
                context.Response.StatusCode = 200;
                context.Response.Close();
            }
        }, Ct);

        var traceId = NewTraceId();
        await using (var scope = await StartFleetAsync(redis, ("Telemetry:Otlp:Endpoint", $"http://localhost:{port}")))
        {
            var reply = await AskRawAsync(scope, ("id", "exported"), ("query", "queen bee hive"), ("traceparent", $"00-{traceId}-{CallerSpanId}-01"));
            Assert.Equal("ok", reply.GetProperty("status").GetString());
            // Disposing the scope stops the hosts, which flushes the batch exporter.
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(20));
        var traceBytes = Convert.FromHexString(traceId);
        while (true)
        {
            var (path, contentType, body) = await received.Reader.ReadAsync(timeout.Token);
            Assert.Equal("/v1/traces", path);
            Assert.Equal("application/x-protobuf", contentType);
            if (body.AsSpan().IndexOf(traceBytes) >= 0)
            {
                Assert.True(body.AsSpan().IndexOf("query"u8) >= 0, "the export holds the query span by name");
                break;
            }
        }
    }
}
