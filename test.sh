#!/usr/bin/env bash
# ./test.sh          build, run every test project against a real Redis 8, and end with one line:
#                    "N passed, N failed, N skipped"
# ./test.sh faults   the same, for the fault, abuse and access suite alone (tests/StreamRag.FaultTests;
#                    docs/faults.md); its measured rows go to .run/fault-report.jsonl
#
# Redis for the integration tests: STREAMRAG_TEST_REDIS if set; else a redis:8 container when a
# Docker engine answers; else a local server from deploy/redis.sh (installed here if missing).
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

stage="${1:-all}"
case "$stage" in
  all) projects=(tests/*/*.csproj) ;;
  faults) projects=(tests/StreamRag.FaultTests/StreamRag.FaultTests.csproj) ;;
  *) echo "usage: ./test.sh [faults]" >&2; exit 2 ;;
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

deploy/tools.sh
if ! dotnet build StreamRag.sln -c Release -nologo -v quiet -clp:ErrorsOnly; then
  echo "build failed" >&2
  summary 0 1 0; exit 1
fi

status=0
for project in "${projects[@]}"; do
  name=$(basename "$project" .csproj)
  dotnet test "$project" -c Release --no-build -nologo \
    --logger "trx;LogFileName=$name.trx" --logger "console;verbosity=normal" \
    --results-directory "$results" || status=1
done

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
if [ "$failed" -gt 0 ]; then status=1; fi
summary "$passed" "$failed" "$skipped"
exit "$status"
