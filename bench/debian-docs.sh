# Sourced by bench/manpages.sh and bench/pythondocs.sh: fetch pinned Debian packages and keep only
# some of their files.
#
# fetch_debian_docs SUITE DIR NAME EXTRACT PACKAGE...
#   Does nothing when DIR/NAME-packages.txt already lists exactly these packages. Otherwise downloads
#   them with deploy/debian-download.sh (nothing is installed), unpacks each, calls
#   `EXTRACT UNPACKED OUT` (a shell function copying what to keep from the unpacked tree into OUT),
#   then moves OUT to DIR/NAME and writes "package version" lines to DIR/NAME-packages.txt.
fetch_debian_docs() {
  local suite="$1" dir="$2" name="$3" extract="$4"; shift 4
  local list="$dir/$name-packages.txt" work="$dir/$name-download" out="$dir/$name.new" deb unpacked
  if [ -f "$list" ] && [ "$(cut -d' ' -f1 "$list" | sort | tr '\n' ' ')" = "$(printf '%s\n' "$@" | sort | tr '\n' ' ')" ]; then
    return 0
  fi
  mkdir -p "$dir"
  rm -rf "$work" "$out" "$list"
  "$(dirname "${BASH_SOURCE[0]}")/../deploy/debian-download.sh" "$suite" "$work" "$@"
  mkdir -p "$out"
  local versions=()
  for deb in "$work"/debs/*.deb; do
    unpacked="$work/unpack"
    rm -rf "$unpacked" && dpkg-deb -x "$deb" "$unpacked"
    "$extract" "$unpacked" "$out"
    rm -rf "$unpacked"
    versions+=("$(dpkg-deb -f "$deb" Package) $(dpkg-deb -f "$deb" Version)")
  done
  rm -rf "${dir:?}/$name" && mv "$out" "$dir/$name"
  rm -rf "$work"
  printf '%s\n' "${versions[@]}" > "$list"
  printf '%s: %s files from %s\n' "$name" "$(find "$dir/$name" -type f | wc -l)" "$(tr '\n' ',' < "$list" | sed 's/,$//; s/,/, /g')" >&2
}
