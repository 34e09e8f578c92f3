#!/usr/bin/env bash
# Makes a Redis 8 server (with native vector sets) available to this repository, without
# root-owned system changes beyond apt downloads.
#
#   deploy/redis.sh [--version V] install  ensure a Redis of version V is available; print the server command
#   deploy/redis.sh start PORT DIR [ARGS]  start a server on 127.0.0.1:PORT with redis.conf (plus
#                                          redis-server ARGS, e.g. --loadmodule FILE), data in DIR;
#                                          returns once it answers
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
#   deploy/redis.sh version                print the version the commands above run (e.g. 8.6.3)
#
# Which Redis (--version V before the command, or STREAMRAG_REDIS_VERSION; every command takes it):
#   latest (default)  Debian experimental's newest redis-server if it is 8.2 or newer (8.6.3 when
#                     this was written: FT.HYBRID with the Query Engine module, VSIM ... WITHATTRIBS,
#                     VRANGE); when experimental has none, Debian 13's 8.0 with a log line saying so.
#                     A redis-server >= 8.2 on PATH is used instead of a download.
#   8.0               Debian 13's redis-server 8.0.
#   X.Y               Debian experimental's redis-server if it is X.Y, else an error.
# Debian's builds have no Query Engine (FT.*); load a module build with `start PORT DIR --loadmodule FILE`.
#
# A download is unpacked into .redis/<X.Y>/ (git-ignored) with its libraries from Debian sid (for
# experimental) or Debian 13, and run through that folder's own dynamic loader, since its libc is
# newer than the host's. `latest` is resolved once and recorded in .redis/latest; remove .redis/ to
# look again. Idempotent: a second `install` takes under a second.
#
# `start` waits as long as the server is visibly loading its data (it answers LOADING; progress is
# printed every second) and fails only on a real error: the process exited, or it neither answered
# nor loaded for STREAMRAG_REDIS_START_TIMEOUT seconds (default 10). A server already running on
# PORT from the same DIR counts as started. `cluster` and the stop verbs are idempotent: a second
# `cluster` with the cluster healthy returns at once; nodes that are down are started again from
# their DIR and rejoin the cluster they were in.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
redis_dir="$repo/.redis"
libraries=(libc6 libstdc++6 libgcc-s1 libatomic1 libjemalloc2 liblzf1 libssl3t64 libsystemd0 libcap2
           libgcrypt20 liblzma5 libzstd1 liblz4-1 libgpg-error0)
# The oldest release `latest` takes from Debian experimental: WITHATTRIBS came with 8.2.
latest_minimum=8.2

log() { printf 'redis.sh: %s\n' "$*" >&2; }

requested="${STREAMRAG_REDIS_VERSION:-latest}"
if [ "${1:-}" = --version ]; then
  requested="${2:?--version needs a value: latest, 8.0 or X.Y}"; shift 2
fi
case "$requested" in
  latest|[0-9]*.[0-9]*) ;;
  *) log "unknown version '$requested' (latest, 8.0 or X.Y)"; exit 2 ;;
esac

version_of() { # prints X.Y.Z of a redis-server command line, or nothing
  "$@" --version 2>/dev/null | sed -n 's/.* v=\([0-9][0-9.]*\) .*/\1/p' || true
}
minor_of() { echo "$1" | cut -d. -f1,2; }
at_least() { # $1 >= $2, both X.Y[.Z]
  [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n 1)" = "$2" ]
}

write_wrappers() { # $1: install folder, $2: "path" (use PATH's programs) or "root" (the unpacked ones)
  mkdir -p "$1/bin"
  local name
  for name in redis-server redis-cli; do
    if [ "$2" = path ]; then
      printf '#!/bin/sh\nexec %s "$@"\n' "$(command -v $name)" > "$1/bin/$name"
    else
      local lib="$1/root/usr/lib/x86_64-linux-gnu"
      printf '#!/bin/sh\nexec "%s/ld-linux-x86-64.so.2" --library-path "%s" "%s/root/usr/bin/%s" "$@"\n' \
        "$lib" "$lib" "$1" "$name" > "$1/bin/$name"
    fi
    chmod +x "$1/bin/$name"
  done
}

# Downloads redis-server and redis-tools of a suite into WORK/debs; prints their version (X.Y.Z) or nothing.
download_redis() { # $1: suite, $2: work folder
  rm -rf "$2/debs"
  "$repo/deploy/debian-download.sh" "$1" "$2" redis-server redis-tools >/dev/null || return 0
  local deb; deb=$(ls "$2"/debs/redis-server_*.deb 2>/dev/null | head -n 1)
  [ -n "$deb" ] || return 0
  dpkg-deb -f "$deb" Version | sed -n 's/^\([0-9]*:\)\{0,1\}\([0-9][0-9.]*\).*/\2/p'
}

# Unpacks the downloaded redis packages of WORK/debs with the libraries of a suite into FOLDER.
unpack_into() { # $1: library suite, $2: work folder (holding debs/), $3: install folder
  local keep="$2/redis-debs"
  rm -rf "$keep" && mv "$2/debs" "$keep"
  "$repo/deploy/debian-download.sh" "$1" "$2" "${libraries[@]}"
  mv "$keep"/*.deb "$2/debs/" && rm -rf "$keep"
  rm -rf "$3/root.new" && mkdir -p "$3/root.new"
  local deb
  for deb in "$2"/debs/*.deb; do dpkg -x "$deb" "$3/root.new"; done
  rm -rf "$3/root" && mv "$3/root.new" "$3/root"
  rm -rf "$2"
  write_wrappers "$3" root
}

installed() { # $1: install folder; true when its server runs and is Redis 8+
  [ -x "$1/bin/redis-server" ] && [ -n "$(version_of "$1/bin/redis-server")" ]
}

# Installs the requested version; prints its install folder.
install_folder() {
  [ "$(uname -m)" = x86_64 ] || { log "unpacking Debian's amd64 build needs x86_64"; exit 1; }
  local work="$redis_dir/download" version folder
  if [ "$requested" = latest ]; then
    if [ -f "$redis_dir/latest" ] && installed "$redis_dir/$(cat "$redis_dir/latest")"; then
      echo "$redis_dir/$(cat "$redis_dir/latest")"; return
    fi
    version=$(version_of redis-server)
    if [ -n "$version" ] && command -v redis-cli >/dev/null && at_least "$version" "$latest_minimum"; then
      log "using redis-server $version from PATH"
      write_wrappers "$redis_dir/path" path
      echo path > "$redis_dir/latest"; echo "$redis_dir/path"; return
    fi
    version=$(download_redis experimental "$work")
    if [ -n "$version" ] && at_least "$version" "$latest_minimum"; then
      folder="$redis_dir/$(minor_of "$version")"
      log "installing Debian experimental's Redis $version into $folder"
      unpack_into sid "$work" "$folder"
      minor_of "$version" > "$redis_dir/latest"; echo "$folder"; return
    fi
    log "Debian experimental has no Redis >= $latest_minimum${version:+ (it has $version)}; falling back to Debian 13's Redis 8.0"
    folder=$(requested=8.0 install_folder)
    echo 8.0 > "$redis_dir/latest"; echo "$folder"; return
  fi
  folder="$redis_dir/$requested"
  if installed "$folder"; then echo "$folder"; return; fi
  if [ "$requested" = 8.0 ]; then
    version=$(download_redis trixie "$work")
    [ "$(minor_of "${version:-none}")" = 8.0 ] || { log "Debian 13 has no Redis 8.0 (got '${version:-nothing}')"; exit 1; }
    log "installing Debian 13's Redis $version into $folder"
    unpack_into trixie "$work" "$folder"
  else
    version=$(download_redis experimental "$work")
    [ "$(minor_of "${version:-none}")" = "$requested" ] \
      || { log "Debian experimental has Redis '${version:-nothing}', not $requested (try --version latest or 8.0)"; exit 1; }
    log "installing Debian experimental's Redis $version into $folder"
    unpack_into sid "$work" "$folder"
  fi
  echo "$folder"
}

install() {
  local folder version
  folder=$(install_folder)
  version=$(version_of "$folder/bin/redis-server")
  [ -n "$version" ] && at_least "$version" 8.0 \
    || { log "the installed redis-server in $folder is not version 8+ (got '${version:-nothing}')"; exit 1; }
  bin="$folder/bin"
  echo "$bin/redis-server"
}

# Every command but install needs the programs; install them quietly when missing.
bin=""
ensure_bin() { [ -n "$bin" ] || install >/dev/null; }

cli() { ensure_bin; "$bin/redis-cli" "$@" 2>/dev/null; }

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
  ensure_bin
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
  ensure_bin
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
  install) install; log "Redis $(version_of "$bin/redis-server") ($bin)" ;;
  version) ensure_bin; version_of "$bin/redis-server" ;;
  start) start "$@" ;;
  stop) stop "$@" ;;
  cluster) cluster "$@" ;;
  cluster-stop) cluster_stop "$@" ;;
  cli) ensure_bin; exec "$bin/redis-cli" "$@" ;;
  *) log "unknown command '$cmd' ([--version V] install | version | start PORT DIR [ARGS] | stop PORT | cluster PORT DIR [ARGS] | cluster-stop PORT | cli ARGS)"; exit 2 ;;
esac
