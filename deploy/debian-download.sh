#!/usr/bin/env bash
# deploy/debian-download.sh SUITE WORKDIR PACKAGE...
#
# Downloads the named Debian packages of SUITE (e.g. trixie) into WORKDIR/debs, from the Debian
# mirror this machine's apt is already configured with, using package lists of its own under
# WORKDIR/apt: the system's apt state is neither read nor changed, so it works on a fresh machine
# whose lists are empty, and for a suite other than the host's. Nothing is installed; the caller
# unpacks what it needs (dpkg -x). Used by deploy/redis.sh and bench/manpages.sh.
set -euo pipefail

log() { printf 'debian-download.sh: %s\n' "$*" >&2; }

suite="${1:?suite}"; work="${2:?work dir}"; shift 2
[ "$#" -gt 0 ] || { log "no packages named"; exit 2; }

# The Debian mirror already configured on this machine; never hard-coded in the repository.
debian_mirror() {
  local uri
  uri=$(grep -hE '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null \
          | awk '{print $2}' | grep -v -- '-security' | head -n 1 || true)
  if [ -z "$uri" ]; then
    uri=$(grep -hE '^deb ' /etc/apt/sources.list 2>/dev/null | awk '{print $2}' \
            | grep -v -- '-security' | head -n 1 || true)
  fi
  [ -n "$uri" ] || { log "no Debian mirror configured in /etc/apt"; exit 1; }
  echo "$uri"
}

apt_dir="$work/apt"
mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" "$work/debs"
keyring="/usr/share/keyrings/debian-archive-$suite-stable.gpg"
[ -f "$keyring" ] || keyring=/usr/share/keyrings/debian-archive-keyring.gpg
printf 'deb [signed-by=%s] %s %s main\n' "$keyring" "$(debian_mirror)" "$suite" > "$apt_dir/sources.list"
opts=(-o "Dir::Etc::sourcelist=$apt_dir/sources.list" -o Dir::Etc::sourceparts=/dev/null
      -o "Dir::State::Lists=$apt_dir/lists" -o "Dir::Cache=$apt_dir/cache"
      -o APT::Architecture=amd64 -o Debug::NoLocking=1)
[ "$(id -u)" -ne 0 ] || opts+=(-o APT::Sandbox::User=root)
log "fetching Debian $suite package lists"
apt-get "${opts[@]}" -qq update
log "downloading $# packages"
(cd "$work/debs" && apt-get "${opts[@]}" -qq download "$@")
rm -rf "$apt_dir/cache"
