#!/usr/bin/env bash
# Makes a Redis 8 server (with native vector sets) available to this repository, without
# root-owned system changes beyond apt downloads.
#
#   deploy/redis.sh install          ensure a Redis >= 8 is available; print the server command
#   deploy/redis.sh start PORT DIR   start a server on 127.0.0.1:PORT with redis.conf, data in DIR
#   deploy/redis.sh stop PORT        SHUTDOWN the server on PORT (if any)
#   deploy/redis.sh cli ARGS...      run redis-cli (the one matching the server)
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

start() {
  local port="${1:?port}" dir="${2:?data dir}"
  install >/dev/null
  mkdir -p "$dir"
  dir="$(cd "$dir" && pwd)"
  "$bin/redis-server" "$repo/redis.conf" --port "$port" --bind 127.0.0.1 --dir "$dir" \
    --daemonize yes --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" "${@:3}"
  for _ in $(seq 1 100); do
    if "$bin/redis-cli" -p "$port" ping 2>/dev/null | grep -q PONG; then return 0; fi
    sleep 0.1
  done
  log "redis did not answer on port $port; see $dir/redis.log"; tail -n 20 "$dir/redis.log" >&2; exit 1
}

stop() {
  local port="${1:?port}"
  "$bin/redis-cli" -p "$port" shutdown nosave >/dev/null 2>&1 || true
}

cmd="${1:-install}"; shift || true
case "$cmd" in
  install) install ;;
  start) start "$@" ;;
  stop) stop "$@" ;;
  cli) install >/dev/null; exec "$bin/redis-cli" "$@" ;;
  *) log "unknown command '$cmd' (install | start PORT DIR | stop PORT | cli ARGS)"; exit 2 ;;
esac
