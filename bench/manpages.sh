#!/usr/bin/env bash
# bench/manpages.sh [DIR]   the retrieval benchmark's corpus: manual pages of pinned Debian packages.
#
# Downloads the packages below from Debian 13 (trixie) with deploy/debian-download.sh (nothing is
# installed) and unpacks only their manual pages into DIR/man (default .bench-corpus/, git-ignored).
# DIR/man-packages.txt lists "name version" of what was unpacked; the benchmark records it with its
# results. Idempotent: when man-packages.txt already names exactly these packages it does nothing.
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

extract() { if [ -d "$1/usr/share/man" ]; then cp -a "$1/usr/share/man/." "$2/"; fi; }

. "$repo/bench/debian-docs.sh"
fetch_debian_docs "$suite" "$dir" man extract "${packages[@]}"
