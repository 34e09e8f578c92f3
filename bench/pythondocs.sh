#!/usr/bin/env bash
# bench/pythondocs.sh [DIR]   the retrieval benchmark's second corpus: Python's documentation.
#
# Downloads python3.13-doc from Debian 13 (trixie) with deploy/debian-download.sh (nothing is
# installed) and unpacks only its FAQ and HOWTO pages (HTML) into DIR/pydoc (default .bench-corpus/,
# git-ignored). DIR/pydoc-packages.txt lists "name version" of what was unpacked; the benchmark
# records it with its results. Idempotent: when that file already names exactly these packages it
# does nothing.
#
# Why this: natural-language questions answered by passages of real documentation nobody in this
# project wrote. Each FAQ entry is a question heading ("How do I share global variables across
# modules?") over its answer; the question is the query, the answer without its heading the one
# right document. The HOWTO sections are more documents about the same subjects (distractors).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dir="${1:-$repo/.bench-corpus}"
suite=trixie
packages=(python3.13-doc)

# The FAQ and HOWTO folders of the HTML documentation.
extract() {
  local part found
  for part in faq howto; do
    found=$(find "$1/usr/share/doc" -type d -path "*/html/$part" | head -n 1)
    if [ -n "$found" ]; then cp -a "$found" "$2/$part"; fi
  done
}

. "$repo/bench/debian-docs.sh"
fetch_debian_docs "$suite" "$dir" pydoc extract "${packages[@]}"
