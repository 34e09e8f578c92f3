#!/usr/bin/env bash
# ./bench.sh [--quick] [--n N]   every headline figure of the fleet beside raw Redis, same data, same run.
# ./bench.sh --model [--quick]   the local embedding model's speed figures (2,000 passages; quick 400): raw
#                                 inference and query embedding of int8 vs float32 weights, raw inference vs
#                                 fleet ingestion, 1 vs 2 embedders, query latency vs its parts.
# ./bench.sh --reachability      the HNSW reachability experiment behind the spam guards (docs/faults.md)
# ./bench.sh --cli [--n N]       ingestion through the `streamrag ingest` code path vs the bench's own producer,
#                                 same fleet, same run, hashing embedder (default 10,000 documents); bench-results/cli.md
# ./bench.sh --cluster [--quick] [--n N]
#                                the fleet on one standalone Redis (Shards=1, Partitions=1) beside a local
#                                 cluster of 3 masters + 3 replicas (deploy/redis.sh cluster, free ports;
#                                 Shards=3, Partitions=3), side by side in turns, same corpus, hashing embedder:
#                                 ingestion (documents/s, passages/s) and query (queries/s, p50, p95) ratios,
#                                 commands/bytes/CPU per document and per query on every node, and a linear
#                                 model of N masters; default 5,000 documents / 500 queries, quick 1,000 / 200;
#                                 bench-results/cluster{,-quick}.{md,json}
# ./bench.sh --watch [--smoke]   standing queries, hashing embedder: notification latency (event XADD to
#                                 notification) p50/p99 at 200 events/s with 1,000 and 10,000 watches, ingestion
#                                 with 10,000 watches vs none, recall vs exact similarity; against their targets;
#                                 bench-results/watch.{md,json}
#   --quick   10,000 documents (a few minutes);  default 100,000;  --n up to 1,000,000
# Results: a table on stdout and in bench-results/{quick,nN,model,model-quick}.{md,json}; --smoke runs
#   everything on a tiny load (for the tests; --cluster --smoke too: bench-results/cluster-smoke.*).
#
# ./bench.sh retrieval [--smoke] [--docs N] [--queries N] [--providers a,b] [--corpora a,b] [--corpus]
#   retrieval quality (hit@1, hit@10, MRR@10) of each embedding provider through the fleet, beside
#   exact BM25, on two corpora (--corpora, default both): Debian manual pages (manpages; fetched by
#   bench/manpages.sh) and Python FAQ questions answered by sections of python3.13-doc (pydocs;
#   bench/pythondocs.sh), both into .bench-corpus/; each corpus up to N documents and N queries
#   (default 2,000 / 300, every provider; --smoke 50 / 20, hashing only); --corpus prints sample
#   queries and documents and stops. Every provider runs on the vector-set engine, and, when
#   STREAMRAG_SEARCH_MODULE names a Query Engine module (a RediSearch .so for this Redis, e.g.
#   redisearch-8.6.7.so for Redis 8.6), also on the Query Engine engine, on a second server started
#   with `deploy/redis.sh start PORT DIR --loadmodule "$STREAMRAG_SEARCH_MODULE"`: hybrid (default
#   settings), its engine order, and vector only (Index:Search:TextWeight=0), side by side with the
#   vector-set engine and BM25. Without the variable the Query Engine columns are skipped (the table
#   says why). Results: bench-results/retrieval.{md,json}; each pass's replies beside them (--smoke:
#   retrieval-smoke.* and replies in bench-results/smoke/), with each side of the hybrid search alone
#   in its own order, which `python3 bench/fusion-study.py [--provider NAME]` fuses offline in the
#   usual ways (linear, min-max, z-score, RRF, per document), and bounds what any fusion could reach.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
deploy/redis.sh install >/dev/null
dotnet build StreamRag.sln -c Release -nologo -v quiet -clp:ErrorsOnly
# Thread-pool spinning steals the second core from Redis on small machines (measured: issue 6).
export DOTNET_ThreadPool_UnfairSemaphoreSpinLimit=0
exec dotnet artifacts/bin/StreamRag.Bench/release/StreamRag.Bench.dll "$@"
