#!/usr/bin/env bash
# Installs the Debian packages the test suite uses besides .NET and Redis:
#   python3-redis  the foreign-client test (a Python client written from docs/contract.md alone)
# Idempotent and quiet when everything is present. Needs root (or sudo) for apt-get.
set -euo pipefail

need=()
/usr/bin/python3 -c 'import redis' >/dev/null 2>&1 || need+=(python3-redis)
[ ${#need[@]} -eq 0 ] && exit 0

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo="sudo -n"; else
    echo "tools.sh: cannot install ${need[*]} without root; the tests that need them will be skipped" >&2
    exit 0
  fi
fi

echo "tools.sh: installing ${need[*]}" >&2
$sudo apt-get update -qq >/dev/null
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
