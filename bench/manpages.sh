#!/usr/bin/env bash
# bench/manpages.sh [DIR]   the retrieval benchmark's corpus: manual pages of pinned Debian packages.
#
# Downloads the packages below from Debian 13 (trixie) with deploy/debian-download.sh (nothing is
# installed) and unpacks only their manual pages into DIR/man (default .bench-corpus/, git-ignored).
# DIR/packages.txt lists "name version" of what was unpacked; the benchmark records it with its
# results. Idempotent: when packages.txt already names exactly these packages it does nothing.
#
# Why these: public documentation nobody in this project wrote, each page with a one-line summary
# in its NAME section (the benchmark's query) that is not copied out of the rest of the page (the
# document). C library and system calls, Linux concepts and files, git, Perl modules, OpenSSL,
# libcurl and Tcl together give about 3,400 pages: several topics, several writing styles.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dir="${1:-$repo/.bench-corpus}"
suite=trixie
packages=(manpages manpages-dev git-man perl-doc libssl-doc libcurl4-doc tcl8.6-doc)

if [ -f "$dir/packages.txt" ] && [ "$(cut -d' ' -f1 "$dir/packages.txt" | sort | tr '\n' ' ')" = "$(printf '%s\n' "${packages[@]}" | sort | tr '\n' ' ')" ]; then
  exit 0
fi

mkdir -p "$dir"
rm -rf "$dir/debs" "$dir/man.new" "$dir/packages.txt"
"$repo/deploy/debian-download.sh" "$suite" "$dir" "${packages[@]}"
mkdir -p "$dir/man.new"
versions=()
for deb in "$dir"/debs/*.deb; do
  unpacked="$dir/unpack"
  rm -rf "$unpacked" && dpkg-deb -x "$deb" "$unpacked"
  [ -d "$unpacked/usr/share/man" ] && cp -a "$unpacked/usr/share/man/." "$dir/man.new/"
  rm -rf "$unpacked"
  versions+=("$(dpkg-deb -f "$deb" Package) $(dpkg-deb -f "$deb" Version)")
done
rm -rf "$dir/man" && mv "$dir/man.new" "$dir/man"
rm -rf "$dir/debs" "$dir/apt"
printf '%s\n' "${versions[@]}" > "$dir/packages.txt"
printf 'manpages.sh: %s pages from %s\n' "$(find "$dir/man" -type f | wc -l)" "$(tr '\n' ',' < "$dir/packages.txt" | sed 's/,$//; s/,/, /g')" >&2
