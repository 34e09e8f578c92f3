#!/usr/bin/env bash
# ./bench.sh [--quick] [--n N]   every headline figure of the fleet beside raw Redis, same data, same run.
# ./bench.sh --reachability      the HNSW reachability experiment behind the spam guards (docs/faults.md)
#   --quick   10,000 documents (a few minutes);  default 100,000;  --n up to 1,000,000
# Results: a table on stdout and in bench-results/{quick,nN}.{md,json}.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
deploy/redis.sh install >/dev/null
dotnet build StreamRag.sln -c Release -nologo -v quiet -clp:ErrorsOnly
# Thread-pool spinning steals the second core from Redis on small machines (measured: issue 6).
export DOTNET_ThreadPool_UnfairSemaphoreSpinLimit=0
exec dotnet artifacts/bin/StreamRag.Bench/release/StreamRag.Bench.dll "$@"
