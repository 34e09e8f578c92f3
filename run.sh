#!/usr/bin/env bash
# ./run.sh        start local Redis 8 and the whole fleet; keep them up until Ctrl-C
# ./run.sh demo   the same, then ingest the bundled corpus, ask the bundled questions, print the
#                 answers with their latencies, stop everything and exit (non-zero if an answer is wrong)
#
# Environment: STREAMRAG_REDIS_PORT (default 6390) — the local Redis port;
#              STREAMRAG_REDIS (e.g. host:port,password=…) — use that Redis instead of a local one.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

mode="${1:-up}"
case "$mode" in up|demo) ;; *) echo "usage: ./run.sh [demo]" >&2; exit 2 ;; esac

port="${STREAMRAG_REDIS_PORT:-6390}"
run_dir=.run
logs="$run_dir/logs"
mkdir -p "$logs"

pids=()
started_redis=0
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [ ${#pids[@]} -gt 0 ]; then
    echo "Stopping the fleet…"
    kill -TERM "${pids[@]}" 2>/dev/null || true
    wait "${pids[@]}" 2>/dev/null || true
  fi
  if [ "$started_redis" = 1 ]; then
    echo "Stopping Redis on port $port…"
    deploy/redis.sh stop "$port"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ -n "${STREAMRAG_REDIS:-}" ]; then
  redis_config="$STREAMRAG_REDIS"
else
  deploy/redis.sh install >/dev/null
  if deploy/redis.sh cli -p "$port" ping >/dev/null 2>&1; then
    echo "Using the Redis already running on port $port."
  else
    echo "Starting Redis 8 on 127.0.0.1:$port (data in $run_dir/redis)…"
    deploy/redis.sh start "$port" "$run_dir/redis"
    started_redis=1
  fi
  redis_config="127.0.0.1:$port"
fi

echo "Building…"
dotnet build StreamRag.sln -c Release -nologo -v quiet -clp:ErrorsOnly >"$logs/build.log" 2>&1 \
  || { cat "$logs/build.log" >&2; echo "build failed" >&2; exit 1; }

export Redis__Configuration="$redis_config"
export DOTNET_ENVIRONMENT="${DOTNET_ENVIRONMENT:-Production}"
for worker in Embedder Query Sweeper Monitor; do
  dotnet "artifacts/bin/StreamRag.$worker/release/StreamRag.$worker.dll" >"$logs/${worker,,}.log" 2>&1 &
  pids+=($!)
  echo "Started ${worker,,} (pid $!, log $logs/${worker,,}.log)"
done

if [ "$mode" = demo ]; then
  dotnet artifacts/bin/StreamRag.Demo/release/StreamRag.Demo.dll demo/corpus demo/questions.tsv
else
  echo "The fleet is up; Redis at $redis_config. Ctrl-C stops it."
  wait -n "${pids[@]}" || true
  echo "A worker exited; see $logs." >&2
  exit 1
fi
