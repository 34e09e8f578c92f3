#!/usr/bin/env bash
# Makes a Redis 8 server (with native vector sets) available to this repository, without
# root-owned system changes beyond apt downloads.
#
#   deploy/redis.sh install                ensure a Redis >= 8 is available; print the server command
#   deploy/redis.sh start PORT DIR [ARGS]  start a server on 127.0.0.1:PORT with redis.conf (plus
#                                          redis-server ARGS), data in DIR; returns once it answers
#   deploy/redis.sh stop PORT              SHUTDOWN the server on PORT (if any); returns once it is gone
#   deploy/redis.sh cluster PORT DIR [ARGS]
#                                          ensure a Redis Cluster of 3 masters and 3 replicas on
#                                          127.0.0.1:PORT..PORT+5 (cluster bus on PORT+10000..PORT+10005),
#                                          node data in DIR/<port>; prints its seed nodes
#                                          (host:port,host:port,...) once every slot is served and
#                                          every replica is in sync; ARGS go to the nodes it starts
#                                          (e.g. --appendonly no, --cluster-node-timeout 2000)
#   deploy/redis.sh cluster-stop PORT      SHUTDOWN the six nodes of the cluster on PORT..PORT+5 (if any)
#   deploy/redis.sh cli ARGS...            run redis-cli (the one matching the server)
#
# `start` waits as long as the server is visibly loading its data (it answers LOADING; progress is
# printed every second) and fails only on a real error: the process exited, or it neither answered
# nor loaded for STREAMRAG_REDIS_START_TIMEOUT seconds (default 10). A server already running on
# PORT from the same DIR counts as started. `cluster` and the stop verbs are idempotent: a second
# `cluster` with the cluster healthy returns at once; nodes that are down are started again from
# their DIR and rejoin the cluster they were in.
#
# Order of preference: `redis-server` on PATH if it is version 8 or newer; else Debian 13's
# redis-server 8 unpacked into .redis/ (git-ignored) and run through that folder's own dynamic
# loader, since its libc is newer than the host's. Idempotent: a second `install` takes seconds.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
prefix="$repo/.redis"
root="$prefix/root"
bin="$prefix/bin"
packages=(redis-server redis-tools libc6 libstdc++6 libgcc-s1 libatomic1 libjemalloc2 liblzf1
          libssl3t64 libsystemd0 libcap2 libgcrypt20 liblzma5 libzstd1 liblz4-1 libgpg-error0)

log() { printf 'redis.sh: %s\n' "$*" >&2; }

major_of() { # prints the major version of a redis-server command line, or 0
  local v
  v=$("$@" --version 2>/dev/null | sed -n 's/.* v=\([0-9][0-9]*\)\..*/\1/p') || true
  echo "${v:-0}"
}

unpack_debian13() {
  local debs="$prefix/debs"
  rm -rf "$debs"
  "$repo/deploy/debian-download.sh" trixie "$prefix" "${packages[@]}"
  rm -rf "$root.new" && mkdir -p "$root.new"
  for deb in "$debs"/*.deb; do dpkg -x "$deb" "$root.new"; done
  rm -rf "$root" && mv "$root.new" "$root"
  rm -rf "$debs"
}

write_wrappers() { # $1: how to run a program from the unpacked root ("" = use PATH)
  mkdir -p "$bin"
  local name
  for name in redis-server redis-cli; do
    if [ "$1" = path ]; then
      printf '#!/bin/sh\nexec %s "$@"\n' "$(command -v $name)" > "$bin/$name"
    else
      local lib="$root/usr/lib/x86_64-linux-gnu"
      printf '#!/bin/sh\nexec "%s/ld-linux-x86-64.so.2" --library-path "%s" "%s/usr/bin/%s" "$@"\n' \
        "$lib" "$lib" "$root" "$name" > "$bin/$name"
    fi
    chmod +x "$bin/$name"
  done
}

install() {
  if [ -x "$bin/redis-server" ] && [ "$(major_of "$bin/redis-server")" -ge 8 ]; then
    echo "$bin/redis-server"; return
  fi
  if command -v redis-server >/dev/null && [ "$(major_of redis-server)" -ge 8 ] \
     && command -v redis-cli >/dev/null; then
    log "using redis-server from PATH"
    write_wrappers path
  else
    [ "$(uname -m)" = x86_64 ] || { log "unpacking Debian's amd64 build needs x86_64"; exit 1; }
    unpack_debian13
    write_wrappers root
  fi
  local major; major=$(major_of "$bin/redis-server")
  [ "$major" -ge 8 ] || { log "installed redis-server is not version 8+ (got '$major')"; exit 1; }
  log "$("$bin/redis-server" --version)"
  echo "$bin/redis-server"
}

cli() { "$bin/redis-cli" "$@" 2>/dev/null; }

# Pid of the server whose pidfile is in DIR, if that process is alive.
live_pid() {
  local pid
  pid=$(cat "$1/redis.pid" 2>/dev/null) || return 1
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && echo "$pid"
}

fail_start() { # $1: port, $2: dir, $3: what happened
  log "redis on port $1 $3; last lines of $2/redis.log:"
  tail -n 20 "$2/redis.log" >&2 2>/dev/null || true
  exit 1
}

# Waits until the server started from DIR answers PING on PORT. A server that answers LOADING is
# making progress, so it is waited for as long as loading takes; only a server that neither answers
# nor loads for STREAMRAG_REDIS_START_TIMEOUT seconds, or whose process exits, is a failure.
wait_ready() {
  local port=$1 dir=$2 limit=$((${STREAMRAG_REDIS_START_TIMEOUT:-10} * 10))
  local silent=0 ticks=0 reply progress
  while true; do
    reply=$(cli -p "$port" ping || true)
    case "$reply" in
      PONG) return 0 ;;
      LOADING*)
        silent=0
        if [ $((ticks % 10)) = 0 ]; then
          # INFO may be refused to the default user (deploy/users.acl); then only "loading" is known.
          progress=$(cli -p "$port" info persistence | tr -d '\r' | awk -F: '
            $1 == "loading_loaded_perc" { perc = $2 } $1 == "loading_eta_seconds" { eta = $2 }
            END { if (perc != "") printf "%s%% loaded, about %s s left", perc, eta }')
          log "port $port is loading its data${progress:+: $progress}"
        fi ;;
      *) silent=$((silent + 1)) ;;
    esac
    # The pidfile appears a moment after the daemon forks; until then only the silence counts.
    if [ -f "$dir/redis.pid" ] && ! live_pid "$dir" >/dev/null; then fail_start "$port" "$dir" "exited"; fi
    [ "$silent" -lt "$limit" ] || fail_start "$port" "$dir" "neither answered nor loaded for ${STREAMRAG_REDIS_START_TIMEOUT:-10} s"
    ticks=$((ticks + 1))
    sleep 0.1
  done
}

start() {
  local port="${1:?port}" dir="${2:?data dir}"
  install >/dev/null
  mkdir -p "$dir"
  dir="$(cd "$dir" && pwd)"
  if live_pid "$dir" >/dev/null; then
    # Started from this folder before (and still running): the same server, maybe still loading.
    wait_ready "$port" "$dir"; return 0
  fi
  if [ -n "$(cli -p "$port" ping)" ]; then
    log "port $port is already served by another Redis (not started from $dir)"; exit 1
  fi
  rm -f "$dir/redis.pid" # left by a killed server; its absence must not mean "still starting"
  "$bin/redis-server" "$repo/redis.conf" --port "$port" --bind 127.0.0.1 --dir "$dir" \
    --daemonize yes --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" "${@:3}" >"$dir/redis.start.out" 2>&1 \
    || { cat "$dir/redis.start.out" >&2; fail_start "$port" "$dir" "did not start (configuration error?)"; }
  wait_ready "$port" "$dir"
}

# Waits (up to 20 s) until nothing answers on PORT any more.
wait_gone() {
  for _ in $(seq 1 200); do
    [ -n "$(cli -p "$1" ping)" ] || return 0
    sleep 0.1
  done
  log "redis on port $1 is still answering after SHUTDOWN"; exit 1
}

stop() {
  local port="${1:?port}"
  cli -p "$port" shutdown nosave >/dev/null || true
  wait_gone "$port"
}

# ---------------------------------------------------------------- cluster

cluster_masters=3
cluster_nodes=6

cluster_ports() { seq "$1" $(($1 + cluster_nodes - 1)); }

# Prints the first reason the cluster on PORT.. is not healthy, or nothing: every node answers and
# knows all six, every slot is assigned and served, three masters each have a replica whose link is
# up and whose initial sync is done, and every node sees those three replicas.
cluster_problem() {
  local base=$1 port info masters=0
  for port in $(cluster_ports "$base"); do
    info=$(cli -p "$port" cluster info | tr -d '\r')
    [ -n "$info" ] || { echo "node $port does not answer"; return; }
    grep -qx 'cluster_state:ok' <<<"$info" || { echo "node $port: $(grep cluster_state <<<"$info")"; return; }
    grep -qx 'cluster_slots_ok:16384' <<<"$info" || { echo "node $port: not every slot is served"; return; }
    grep -qx "cluster_known_nodes:$cluster_nodes" <<<"$info" || { echo "node $port does not know all $cluster_nodes nodes yet"; return; }
    # Every node's view must agree on the roles (gossip spreads them a moment after the sync).
    [ "$(cli -p "$port" cluster nodes | awk '$3 ~ /(^|,)slave(,|$)/' | wc -l)" = $((cluster_nodes - cluster_masters)) ] \
      || { echo "node $port does not see all $((cluster_nodes - cluster_masters)) replicas yet"; return; }
    info=$(cli -p "$port" info replication | tr -d '\r')
    if grep -qx 'role:master' <<<"$info"; then
      masters=$((masters + 1))
      grep -qx 'connected_slaves:1' <<<"$info" || { echo "master $port has no connected replica"; return; }
    else
      grep -qx 'master_link_status:up' <<<"$info" || { echo "replica $port: link to its master is not up"; return; }
      grep -qx 'master_sync_in_progress:0' <<<"$info" || { echo "replica $port is still syncing"; return; }
    fi
  done
  [ "$masters" = "$cluster_masters" ] || echo "$masters masters instead of $cluster_masters"
}

cluster_seeds() {
  local port seeds=()
  for port in $(cluster_ports "$1"); do seeds+=("127.0.0.1:$port"); done
  (IFS=,; echo "${seeds[*]}")
}

cluster() {
  local base="${1:?first port}" dir="${2:?data dir}" port began=$EPOCHREALTIME problem
  [ "$base" -ge 1 ] && [ $((base + cluster_nodes - 1 + 10000)) -le 65535 ] \
    || { log "cluster PORT must be between 1 and $((65535 - 10000 - cluster_nodes + 1)) (the bus ports are PORT+10000..)"; exit 2; }
  install >/dev/null
  if [ -z "$(cluster_problem "$base")" ]; then cluster_seeds "$base"; return 0; fi
  mkdir -p "$dir"
  dir="$(cd "$dir" && pwd)"
  for port in $(cluster_ports "$base"); do
    # cluster-node-timeout 5 s: a dead master is failed over within seconds on this loopback cluster.
    # repl-diskless-sync-delay 0: each master has exactly one replica, so there is no one to wait for.
    start "$port" "$dir/$port" --cluster-enabled yes --cluster-config-file nodes.conf \
      --cluster-port $((port + 10000)) --cluster-node-timeout 5000 --repl-diskless-sync-delay 0 "${@:3}"
  done
  # Nodes that never joined a cluster know only themselves; nodes restarted from their folder
  # remember theirs (nodes.conf) and rejoin by themselves.
  local fresh=0 port_info
  for port in $(cluster_ports "$base"); do
    port_info=$(cli -p "$port" cluster info | tr -d '\r')
    if grep -qx 'cluster_known_nodes:1' <<<"$port_info" && grep -qx 'cluster_slots_assigned:0' <<<"$port_info"; then
      fresh=$((fresh + 1))
    fi
  done
  if [ "$fresh" = "$cluster_nodes" ]; then
    log "creating the cluster on ports $base..$((base + cluster_nodes - 1))"
    local nodes=() out
    for port in $(cluster_ports "$base"); do nodes+=("127.0.0.1:$port"); done
    out=$("$bin/redis-cli" --cluster create "${nodes[@]}" --cluster-replicas 1 --cluster-yes 2>&1) \
      || { echo "$out" >&2; log "redis-cli --cluster create failed"; exit 1; }
  elif [ "$fresh" != 0 ]; then
    log "$fresh of the nodes on ports $base..$((base + cluster_nodes - 1)) are not in the cluster the others are in;" \
        "stop it (cluster-stop $base) and remove $dir to start afresh"
    exit 1
  fi
  local until=$((SECONDS + 60))
  while [ "$SECONDS" -lt "$until" ]; do
    problem=$(cluster_problem "$base")
    if [ -z "$problem" ]; then
      log "cluster on ports $base..$((base + cluster_nodes - 1)) is ready ($(awk "BEGIN { printf \"%.1f\", $EPOCHREALTIME - $began }") s)"
      cluster_seeds "$base"; return 0
    fi
    sleep 0.1
  done
  log "the cluster on port $base did not become healthy within 60 s: $problem"; exit 1
}

cluster_stop() {
  local base="${1:?first port}" port
  for port in $(cluster_ports "$base"); do cli -p "$port" shutdown nosave >/dev/null || true; done
  for port in $(cluster_ports "$base"); do wait_gone "$port"; done
}

cmd="${1:-install}"; shift || true
case "$cmd" in
  install) install ;;
  start) start "$@" ;;
  stop) stop "$@" ;;
  cluster) cluster "$@" ;;
  cluster-stop) cluster_stop "$@" ;;
  cli) install >/dev/null; exec "$bin/redis-cli" "$@" ;;
  *) log "unknown command '$cmd' (install | start PORT DIR [ARGS] | stop PORT | cluster PORT DIR [ARGS] | cluster-stop PORT | cli ARGS)"; exit 2 ;;
esac
