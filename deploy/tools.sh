#!/usr/bin/env bash
# Installs the tools the tests use besides .NET and Redis, when missing:
#   Debian's `prometheus` package: promtool validates deploy/prometheus/ in the tests, and the server
#     (/usr/bin/prometheus) scrapes a running fleet on that configuration (PrometheusFleetTests);
#   python3-redis: the foreign-client test (a Python client written from docs/contract.md alone);
#   nodejs and npm: the monitor's build installs the dashboard's chart library with `npm ci`
#     (workers/StreamRag.Monitor/dashboard/); without npm it builds the dashboard without charts;
#   chromium: the browser test of the dashboard (headless).
# Idempotent and quiet; needs root for apt-get (CI runs as root). Without root, or when apt has no
# such package, it says so and carries on: the tests that need the tool skip with that reason.
set -uo pipefail

log() { printf 'tools.sh: %s\n' "$*" >&2; }

if ! command -v promtool >/dev/null 2>&1 || ! command -v prometheus >/dev/null 2>&1; then
  if [ "$(id -u)" -ne 0 ]; then
    log "promtool or prometheus missing and not root: the promtool and Prometheus tests will be skipped"
  else
    export DEBIAN_FRONTEND=noninteractive
    # The package's service must not start here: this is a test machine, not a Prometheus server.
    policy=/usr/sbin/policy-rc.d
    created_policy=0
    if [ ! -e "$policy" ]; then
      printf '#!/bin/sh\nexit 101\n' > "$policy" && chmod +x "$policy" && created_policy=1
    fi
    if ! apt-get install -y -qq --no-install-recommends prometheus >/dev/null 2>&1; then
      apt-get update -qq >/dev/null 2>&1 || true
      apt-get install -y -qq --no-install-recommends prometheus >/dev/null 2>&1 \
        || log "could not install Debian's prometheus package: the promtool and Prometheus tests will be skipped"
    fi
    [ "$created_policy" = 0 ] || rm -f "$policy"
  fi
fi
if ! /usr/bin/python3 -c 'import redis' >/dev/null 2>&1; then
  if [ "$(id -u)" -ne 0 ]; then
    log "python3-redis missing and not root: the foreign-client test will be skipped"
  else
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -qq --no-install-recommends python3-redis >/dev/null 2>&1 \
      || { apt-get update -qq >/dev/null 2>&1 || true; apt-get install -y -qq --no-install-recommends python3-redis >/dev/null 2>&1; } \
      || log "could not install python3-redis: the foreign-client test will be skipped"
  fi
fi
# Debian packages: installs $2 unless command $1 is on PATH; $3 is what is skipped without it.
apt_tool() {
  command -v "$1" >/dev/null 2>&1 && return 0
  if [ "$(id -u)" -ne 0 ]; then
    log "$1 missing and not root: $3"
    return 0
  fi
  export DEBIAN_FRONTEND=noninteractive
  # shellcheck disable=SC2086 # $2 is a list of packages
  apt-get install -y -qq --no-install-recommends $2 >/dev/null 2>&1 \
    || { apt-get update -qq >/dev/null 2>&1 || true; apt-get install -y -qq --no-install-recommends $2 >/dev/null 2>&1; } \
    || log "could not install $2: $3"
}
apt_tool npm "nodejs npm" "the monitor is built without the dashboard's chart library, and the dashboard browser test is skipped"
apt_tool chromium chromium "the dashboard browser test will be skipped"
exit 0
