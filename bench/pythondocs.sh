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

if [ -f "$dir/pydoc-packages.txt" ] && [ "$(cut -d' ' -f1 "$dir/pydoc-packages.txt" | sort | tr '\n' ' ')" = "$(printf '%s\n' "${packages[@]}" | sort | tr '\n' ' ')" ]; then
  exit 0
fi

work="$dir/pydoc-download"
mkdir -p "$dir"
rm -rf "$work" "$dir/pydoc.new" "$dir/pydoc-packages.txt"
"$repo/deploy/debian-download.sh" "$suite" "$work" "${packages[@]}"
mkdir -p "$dir/pydoc.new"
versions=()
for deb in "$work"/debs/*.deb; do
  unpacked="$work/unpack"
  rm -rf "$unpacked" && dpkg-deb -x "$deb" "$unpacked"
  for part in faq howto; do
    found=$(find "$unpacked/usr/share/doc" -type d -path "*/html/$part" | head -n 1)
    [ -n "$found" ] && cp -a "$found" "$dir/pydoc.new/$part"
  done
  rm -rf "$unpacked"
  versions+=("$(dpkg-deb -f "$deb" Package) $(dpkg-deb -f "$deb" Version)")
done
rm -rf "$dir/pydoc" && mv "$dir/pydoc.new" "$dir/pydoc"
rm -rf "$work"
printf '%s\n' "${versions[@]}" > "$dir/pydoc-packages.txt"
printf 'pythondocs.sh: %s pages from %s\n' "$(find "$dir/pydoc" -name '*.html' | wc -l)" "$(tr '\n' ',' < "$dir/pydoc-packages.txt" | sed 's/,$//; s/,/, /g')" >&2
