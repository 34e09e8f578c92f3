#!/usr/bin/env bash
# ./run.sh        start local Redis (deploy/redis.sh: 8.6 by default) and the whole fleet; keep them up until Ctrl-C, restarting a
#                 worker that exits (back-off 1 s, doubling to 30 s; reset after a minute up)
# ./run.sh demo   the same, then ingest the bundled corpus, ask the bundled questions, print the
#                 answers with their latencies, stop everything and exit (non-zero if an answer is wrong)
#
# Environment: STREAMRAG_REDIS_PORT (default 6390) — the local Redis port; also names this run's
#                folder, .run/fleet-<port>/ (Redis data, logs, pids), so runs on other ports do not clash;
#              STREAMRAG_REDIS (e.g. host:port,password=…) — use that Redis instead of a local one
#                (none is started or stopped; the folder is still named by STREAMRAG_REDIS_PORT). A
#                Redis Cluster's seed nodes work too; the settings are passed through as they are, so
#                set Redis__Shards (and Streams__Partitions) to spread over its masters (docs/running.md);
#              STREAMRAG_METRICS_PORT_BASE (default 9464) — scrape ports: embedder base, query worker
#                base+1, sweeper base+2, monitor base+3; 0 turns the endpoints off. An explicit
#                Metrics__PrometheusPort applies to every worker instead;
#              STREAMRAG_SKIP_BUILD=1 — run the binaries already built in artifacts/ (no dotnet build);
#              STREAMRAG_TOKENS=required — signed tenant tokens required (docs/security.md): a fresh key
#                pair in $run_dir/keys, its public key given to the workers; the demo signs its own
#                token with the private key (STREAMRAG_DEMO_SIGNING_KEY).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

mode="${1:-up}"
case "$mode" in up|demo) ;; *) echo "usage: ./run.sh [demo]" >&2; exit 2 ;; esac

port="${STREAMRAG_REDIS_PORT:-6390}"
metrics_base="${STREAMRAG_METRICS_PORT_BASE:-9464}"
[[ "$port" =~ ^[0-9]+$ ]] || { echo "STREAMRAG_REDIS_PORT must be a port number, not '$port'" >&2; exit 2; }
[[ "$metrics_base" =~ ^[0-9]+$ ]] && [ "$metrics_base" -le 65532 ] \
  || { echo "STREAMRAG_METRICS_PORT_BASE must be 0 or a port number up to 65532, not '$metrics_base'" >&2; exit 2; }
run_dir=".run/fleet-$port"
logs="$run_dir/logs"
pid_dir="$run_dir/pids"
mkdir -p "$logs" "$pid_dir"
rm -f "$pid_dir"/*.pid
echo $$ >"$pid_dir/run.pid"

stamp() { date -u +%Y-%m-%dT%H:%M:%S.%3NZ; }

supervisors=()
started_redis=0
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [ ${#supervisors[@]} -gt 0 ]; then
    echo "Stopping the fleet…"
    kill -TERM "${supervisors[@]}" 2>/dev/null || true
    wait "${supervisors[@]}" 2>/dev/null || true
  fi
  if [ "$started_redis" = 1 ]; then
    echo "Stopping Redis on port $port…"
    deploy/redis.sh stop "$port"
  fi
  rm -f "$pid_dir/run.pid"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [ -n "${STREAMRAG_REDIS:-}" ]; then
  redis_config="$STREAMRAG_REDIS"
else
  deploy/redis.sh install >/dev/null
  if deploy/redis.sh cli -p "$port" ping >/dev/null 2>&1; then
    echo "Using the Redis already running on port $port."
  else
    echo "Starting Redis $(deploy/redis.sh version) on 127.0.0.1:$port (data in $run_dir/redis)…"
    started_redis=1
    deploy/redis.sh start "$port" "$run_dir/redis"
  fi
  redis_config="127.0.0.1:$port"
fi

if [ "${STREAMRAG_SKIP_BUILD:-0}" != 1 ]; then
  echo "Building…"
  dotnet build StreamRag.sln -c Release -nologo -v quiet -clp:ErrorsOnly >"$logs/build.log" 2>&1 \
    || { cat "$logs/build.log" >&2; echo "build failed" >&2; exit 1; }
fi

# Runs one worker and starts it again whenever it exits, until this supervisor gets SIGTERM (then
# it stops the worker and returns). Waits 1 s before the first restart, doubling up to 30 s for a
# worker that keeps failing; a worker that stayed up a minute starts again from 1 s.
supervise() { # $1: worker (Embedder, Query, Sweeper, Monitor), $2: its scrape port (0: none)
  local worker=$1 name=${1,,} scrape=$2 log="$logs/${1,,}.log" delay=1 child=0 sleeper=0 began rc
  local dll="artifacts/bin/StreamRag.$worker/release/StreamRag.$worker.dll"
  # (Never "kill 0": that would signal the whole process group.)
  trap 'for p in $child $sleeper; do [ "$p" -gt 0 ] && kill -TERM "$p" 2>/dev/null; done; [ "$child" -gt 0 ] && wait "$child" 2>/dev/null; rm -f "$pid_dir/$name.pid"; exit 0' TERM
  while true; do
    began=$SECONDS
    if [ -n "${Metrics__PrometheusPort:-}" ]; then
      dotnet "$dll" >>"$log" 2>&1 &
    else
      Metrics__PrometheusPort="$scrape" dotnet "$dll" >>"$log" 2>&1 &
    fi
    child=$!
    echo "$child" >"$pid_dir/$name.pid"
    rc=0
    wait "$child" || rc=$?
    [ $((SECONDS - began)) -lt 60 ] || delay=1
    rm -f "$pid_dir/$name.pid"
    echo "$(stamp) run.sh: $name (pid $child) exited with status $rc; restarting it in $delay s" | tee -a "$log" >&2
    child=0
    sleep "$delay" &
    sleeper=$!
    wait "$sleeper" || true
    sleeper=0
    delay=$((delay * 2 > 30 ? 30 : delay * 2))
    echo "$(stamp) run.sh: restarting $name" >>"$log"
  done
}

case "${STREAMRAG_TOKENS:-off}" in
  off) ;;
  required)
    rm -rf "$run_dir/keys" && mkdir -p "$run_dir/keys"
    kid=$(dotnet artifacts/bin/StreamRag.Cli/release/streamrag.dll keys new --out "$run_dir/keys" | sed -n 's/^kid: //p')
    [ -n "$kid" ] || { echo "could not make a token key pair" >&2; exit 1; }
    export Security__Tokens__Mode=Required Security__Tokens__Keys__0__Kid="$kid" \
           Security__Tokens__Keys__0__PublicKeyFile="$PWD/$run_dir/keys/$kid.pub.pem"
    echo "Tokens required: key $kid (private key $run_dir/keys/$kid.key; mint tokens with streamrag token issue)."
    ;;
  *) echo "STREAMRAG_TOKENS must be off or required, not '$STREAMRAG_TOKENS'" >&2; exit 2 ;;
esac

export Redis__Configuration="$redis_config"
export DOTNET_ENVIRONMENT="${DOTNET_ENVIRONMENT:-Production}"
offset=0
for worker in Embedder Query Sweeper Monitor; do
  scrape=$((metrics_base == 0 ? 0 : metrics_base + offset))
  offset=$((offset + 1))
  supervise "$worker" "$scrape" &
  supervisors+=($!)
  echo "Started ${worker,,} under supervision (log $logs/${worker,,}.log, pid in $pid_dir/${worker,,}.pid$([ "$scrape" = 0 ] || [ -n "${Metrics__PrometheusPort:-}" ] || echo ", metrics on localhost:$scrape"))"
done

if [ "$mode" = demo ]; then
  STREAMRAG_DEMO_SIGNING_KEY="${kid:+$run_dir/keys/$kid.key}" dotnet artifacts/bin/StreamRag.Demo/release/StreamRag.Demo.dll demo/corpus demo/questions.tsv
else
  echo "The fleet is up; Redis at $redis_config. Ctrl-C stops it."
  # The supervisors return only when stopped; a signal to this script interrupts the wait.
  wait "${supervisors[@]}"
fi
