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
# Docker engine answers; else a local server from deploy/redis.sh (installed here if missing).
# The cluster stage always starts its own cluster (STREAMRAG_TEST_REDIS does not apply to it).
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
