#!/usr/bin/env bash
# Renders deploy/users.acl (one Redis ACL user per StreamRag role) into a file Redis can load with
# --aclfile, replacing each password placeholder with the SHA-256 of the role's password and, if
# asked, the key prefix.
#
#   STREAMRAG_ACL_<ROLE>_PASSWORD=... deploy/acl.sh OUT [PREFIX] [TENANT...]
#
# ROLE: ADMIN PRODUCER APP EMBEDDER QUERY SWEEPER MONITOR (every one is required, so no role is
# left with a known password). PREFIX: Redis:KeyPrefix of the deployment (default rag); the key and
# channel patterns of users.acl are written for "rag:" and follow it.
# users.acl itself cannot be loaded as it is: "#@role@" is not a valid password hash, so Redis
# refuses to start until every placeholder is replaced. Roles and grants: docs/faults.md.
#
# Each TENANT adds a per-tenant app user "app-<tenant>" (password STREAMRAG_ACL_APP_<TENANT>_PASSWORD,
# the tenant upper-cased with every other character than A-Z0-9 as "_"): the app role's grants, but
# it may SUBSCRIBE only to its tenant's reply channels "<prefix>:reply:<tenant>:*" and read only its
# tenant's watch notifications "<prefix>:watch:<tenant>:*", so one tenant's app cannot hear another's. Use it with Security:Tokens:Mode=Required (docs/security.md).
set -euo pipefail
out="${1:?usage: deploy/acl.sh OUT [PREFIX] [TENANT...]}"
prefix="${2:-rag}"
tenants=("${@:3}")
[[ "$prefix" =~ ^[A-Za-z0-9_.-]{1,32}$ ]] || { echo "acl.sh: invalid prefix '$prefix'" >&2; exit 2; }
acl="$(cat "$(dirname "${BASH_SOURCE[0]}")/users.acl")"
for role in admin producer app embedder query sweeper monitor; do
  var="STREAMRAG_ACL_${role^^}_PASSWORD"
  password="${!var:-}"
  [ -n "$password" ] || { echo "acl.sh: $var is not set" >&2; exit 2; }
  hash=$(printf '%s' "$password" | sha256sum | cut -d' ' -f1)
  acl="${acl//#@$role@/#$hash}"
done
# Key (~, %R~, %W~) and channel (&) patterns name the prefix; the hash tags and suffixes stay.
# A per-tenant app user: the app line, with its own name, password and reply-channel grant.
template="$(grep '^user app ' "$(dirname "${BASH_SOURCE[0]}")/users.acl")"
declare -A seen=()
for tenant in "${tenants[@]}"; do
  # No ':' (tenant a's "reply:a:*" would cover tenant "a:b"), no glob characters.
  [[ "$tenant" =~ ^[A-Za-z0-9_./@-]{1,64}$ ]] || { echo "acl.sh: invalid tenant '$tenant' (1 to 64 of A-Za-z0-9_-./@, no ':')" >&2; exit 2; }
  name="${tenant^^}"; name="${name//[^A-Z0-9]/_}"
  [ -z "${seen[$name]:-}" ] || { echo "acl.sh: tenants '${seen[$name]}' and '$tenant' share STREAMRAG_ACL_APP_${name}_PASSWORD" >&2; exit 2; }
  seen[$name]="$tenant"
  var="STREAMRAG_ACL_APP_${name}_PASSWORD"
  password="${!var:-}"
  [ -n "$password" ] || { echo "acl.sh: $var is not set" >&2; exit 2; }
  hash=$(printf '%s' "$password" | sha256sum | cut -d' ' -f1)
  # The tenant's characters are literal in sed: '.' escaped; '/' and '@' are not special with '|'.
  literal="${tenant//./\\.}"
  line=$(printf '%s\n' "$template" | sed -E -e "s|^user app |user app-${literal} |" -e "s|#@app@|#${hash}|" -e "s|&rag:reply:\\*|\\&rag:reply:${literal}:*|" -e "s|%R~rag:watch:\\*|%R~rag:watch:${literal}:*|")
  acl+=$'\n'"$line"
done
acl=$(printf '%s\n' "$acl" | sed -E "s/([~&])rag:/\\1${prefix//./\\.}:/g")
umask 077
printf '%s\n' "$acl" > "$out"
