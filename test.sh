#!/usr/bin/env bash
# ./test.sh          build, run every test project against a real Redis 8, and end with one line:
#                    "N passed, N failed, N skipped"
# ./test.sh faults   the same, for the fault, abuse and access suite alone (tests/StreamRag.FaultTests;
#                    docs/faults.md); its measured rows go to .run/fault-report.jsonl
# ./test.sh cluster  the cluster stage alone: the integration scenarios marked [ClusterScenario] and
#                    the [ClusterOnly] tests, against a local Redis Cluster of 3 masters and 3
#                    replicas (deploy/redis.sh cluster, on free ports) with Redis:Shards=3
#
# Redis for the integration tests: STREAMRAG_TEST_REDIS if set; else a redis:8 container when a
# Docker engine answers; else a local server from deploy/redis.sh (installed here if missing: Redis
# 8.6 by default, STREAMRAG_REDIS_VERSION=8.0 for Debian 13's). The cluster stage always starts its
# own cluster (STREAMRAG_TEST_REDIS does not apply to it).
#
# The Query Engine (FT.*): Debian's Redis has none, so its tests are skipped unless one is given:
#   STREAMRAG_SEARCH_MODULE=FILE      a RediSearch module build for the local Redis (8.6): the tests that
#                                     need the Query Engine start a local server of their own with it
#   STREAMRAG_SEARCH_MODULE_8_0=FILE  a build for Redis 8.0: the engine contract suite (both engines) and
#                                     the Query Engine tests run once more on Redis 8.0 with it (stage
#                                     "search-8.0"), so servers without FT.HYBRID stay covered
#   STREAMRAG_TEST_SEARCH_REDIS=HOST:PORT  a running server that has it (e.g. redis:8)
# .ci/run sets both module variables to the builds in ../shared/redis/ when they are there.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

stage="${1:-all}"
cluster_stage=0
case "$stage" in
  all) projects=(tests/*/*.csproj); cluster_stage=1 ;;
  faults) projects=(tests/StreamRag.FaultTests/StreamRag.FaultTests.csproj) ;;
  cluster) projects=(); cluster_stage=1 ;;
  *) echo "usage: ./test.sh [faults | cluster]" >&2; exit 2 ;;
esac

results=.run/test-results
rm -rf "$results"
mkdir -p "$results"
summary() { echo "$1 passed, $2 failed, $3 skipped"; }

# Even with STREAMRAG_TEST_REDIS, tests that restart or fill a server start their own local one.
if ! deploy/redis.sh install >/dev/null; then
  echo "could not install Redis 8 (deploy/redis.sh install)" >&2
  summary 0 1 0; exit 1
fi
echo "local Redis: $(deploy/redis.sh version)"
search_80_stage=0
for variable in STREAMRAG_SEARCH_MODULE STREAMRAG_SEARCH_MODULE_8_0; do
  module="${!variable:-}"
  if [ -n "$module" ] && [ ! -f "$module" ]; then
    echo "$variable=$module: no such file" >&2
    summary 0 1 0; exit 1
  fi
  [ -z "$module" ] || echo "Query Engine module ($variable): $module"
done
if [ -n "${STREAMRAG_SEARCH_MODULE_8_0:-}" ] && [ "$stage" = all ]; then
  if STREAMRAG_REDIS_VERSION=8.0 deploy/redis.sh install >/dev/null; then
    search_80_stage=1
  else
    echo "could not install Redis 8.0 for the search-8.0 stage (deploy/redis.sh --version 8.0 install)" >&2
    summary 0 1 0; exit 1
  fi
fi
deploy/tools.sh || echo "warning: deploy/tools.sh failed; tests that need its packages will be skipped" >&2

if ! dotnet build StreamRag.sln -c Release -nologo -v quiet -clp:ErrorsOnly; then
  echo "build failed" >&2
  summary 0 1 0; exit 1
fi

status=0
run_tests() { # $1: project, $2: name of its results file, $3: test filter
  dotnet test "$1" -c Release --no-build -nologo --filter "$3" \
    --logger "trx;LogFileName=$2.trx" --logger "console;verbosity=normal" \
    --results-directory "$results" || status=1
}
for project in "${projects[@]}"; do
  # The cluster-only tests run in the cluster stage below.
  run_tests "$project" "$(basename "$project" .csproj)" "Cluster!=only"
done
if [ "$search_80_stage" = 1 ]; then
  # The engine contract (both engines) and the Query Engine tests on Redis 8.0 with its module: the
  # client-side fusion path, for servers without FT.HYBRID; and the vector-set search's hash reads, for
  # servers without VSIM WITHATTRIBS. The comparison of server and client fusion needs FT.HYBRID, and
  # the test that a search reads no hash needs WITHATTRIBS, so they run in the main stage (8.6) only.
  began=$SECONDS
  STREAMRAG_TEST_REDIS='' STREAMRAG_TEST_SEARCH_REDIS='' STREAMRAG_REDIS_VERSION=8.0 \
    STREAMRAG_SEARCH_MODULE="$STREAMRAG_SEARCH_MODULE_8_0" \
    run_tests tests/StreamRag.IntegrationTests/StreamRag.IntegrationTests.csproj StreamRag.IntegrationTests.search-8.0 \
    'Cluster!=only&(FullyQualifiedName~IndexContractTests|FullyQualifiedName~SearchIndex|FullyQualifiedName~VectorSetAttributeReadTests)&FullyQualifiedName!~Hybrid_ServerFusion_RanksAndScoresAsTheClientFusion&FullyQualifiedName!~Search_OnAServerThatTakesWithAttribs_ReadsNoHash'
  echo "search-8.0 stage: $((SECONDS - began)) s"
fi
if [ "$cluster_stage" = 1 ]; then
  began=$SECONDS
  STREAMRAG_TEST_REDIS='' STREAMRAG_TEST_CLUSTER=1 run_tests tests/StreamRag.IntegrationTests/StreamRag.IntegrationTests.csproj \
    StreamRag.IntegrationTests.cluster 'Cluster=scenario|Cluster=only'
  echo "cluster stage: $((SECONDS - began)) s"
fi

passed=0; failed=0; skipped=0; found=0
for trx in "$results"/*.trx; do
  [ -f "$trx" ] || continue
  found=1
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)
  get() { echo "$counters" | sed -n "s/.* $1=\"\([0-9]*\)\".*/\1/p"; }
  passed=$((passed + $(get passed)))
  failed=$((failed + $(get failed) + $(get error) + $(get timeout) + $(get aborted)))
  # xunit.v3 writes skipped tests as results with outcome NotExecuted but leaves the notExecuted
  # counter at 0, so count those results instead.
  skipped=$((skipped + $(grep -c 'outcome="NotExecuted"' "$trx")))
done

if [ "$found" = 0 ]; then
  echo "no test results were written" >&2
  summary 0 1 0; exit 1
fi
if [ "$failed" -gt 0 ]; then
  status=1
  # A long log is often cut to its tail: name each failed test, and its message's first line, here.
  echo "failed tests:"
  for trx in "$results"/*.trx; do
    /usr/bin/python3 - "$trx" <<'PY' || grep -o 'testName="[^"]*"[^>]*outcome="Failed"' "$trx" | sed 's/" .*//; s/testName="/  /'
import sys, xml.etree.ElementTree as ET
ns = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}
for r in ET.parse(sys.argv[1]).getroot().iterfind(".//t:UnitTestResult", ns):
    if r.get("outcome") in ("Failed", "Error", "Timeout", "Aborted"):
        m = r.find("t:Output/t:ErrorInfo/t:Message", ns)
        first = (m.text or "").strip().splitlines()[0][:300] if m is not None and m.text else ""
        print(f"  {r.get('testName')}: {first}")
PY
  done
fi
summary "$passed" "$failed" "$skipped"
exit "$status"
