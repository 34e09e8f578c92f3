#!/usr/bin/env bash
# ./bench.sh [--quick] [--n N]   every headline figure of the fleet beside raw Redis, same data, same run.
# ./bench.sh --model [--quick]   the local embedding model's speed figures (2,000 passages; quick 400): raw
#                                 inference vs fleet ingestion, 1 vs 2 embedders, query latency vs its parts.
# ./bench.sh --reachability      the HNSW reachability experiment behind the spam guards (docs/faults.md)
#   --quick   10,000 documents (a few minutes);  default 100,000;  --n up to 1,000,000
# Results: a table on stdout and in bench-results/{quick,nN,model,model-quick}.{md,json}; --smoke runs
#   everything on a tiny load (for the tests).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
deploy/redis.sh install >/dev/null
dotnet build StreamRag.sln -c Release -nologo -v quiet -clp:ErrorsOnly
# Thread-pool spinning steals the second core from Redis on small machines (measured: issue 6).
export DOTNET_ThreadPool_UnfairSemaphoreSpinLimit=0
exec dotnet artifacts/bin/StreamRag.Bench/release/StreamRag.Bench.dll "$@"
