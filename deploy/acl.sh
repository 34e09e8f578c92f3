#!/usr/bin/env bash
# Renders deploy/users.acl (one Redis ACL user per StreamRag role) into a file Redis can load with
# --aclfile, replacing each password placeholder with the SHA-256 of the role's password and, if
# asked, the key prefix.
#
#   STREAMRAG_ACL_<ROLE>_PASSWORD=... deploy/acl.sh OUT [PREFIX]
#
# ROLE: ADMIN PRODUCER APP EMBEDDER QUERY SWEEPER MONITOR (every one is required, so no role is
# left with a known password). PREFIX: Redis:KeyPrefix of the deployment (default rag); the key and
# channel patterns of users.acl are written for "rag:" and follow it.
# users.acl itself cannot be loaded as it is: "#@role@" is not a valid password hash, so Redis
# refuses to start until every placeholder is replaced. Roles and grants: docs/faults.md.
set -euo pipefail
out="${1:?usage: deploy/acl.sh OUT [PREFIX]}"
prefix="${2:-rag}"
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
acl=$(printf '%s\n' "$acl" | sed -E "s/([~&])rag:/\\1${prefix//./\\.}:/g")
umask 077
printf '%s\n' "$acl" > "$out"
