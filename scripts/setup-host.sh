#!/usr/bin/env bash
# Installs, when missing, what the worker and its tests need from the host: Debian's bubblewrap
# (the sandbox), slirp4netns (the sandbox's egress), Caddy (the router), supervisor (releases),
# cgroup-tools, chromium (the dashboard's browser test), gcc (the boxes' native relay), the
# Postgres client tools, Debian's cluster tools with a server's programs (the tests' second
# hosts: pg_createcluster), and
# PgBouncer >= 1.21 (built once from Debian trixie's source package: bookworm ships 1.18, which
# has no max_prepared_statements). Idempotent and quick when everything is there; `npm run
# example` and `npm test` call it first. Needs root only when something is missing.
set -euo pipefail

PGBOUNCER_PREFIX=${PGBOUNCER_PREFIX:-/opt/coduck/pgbouncer}
quiet() { "$@" >/dev/null 2>&1; }

missing=()
command -v bwrap >/dev/null || missing+=(bubblewrap)
command -v slirp4netns >/dev/null || missing+=(slirp4netns)
command -v caddy >/dev/null || missing+=(caddy)
command -v supervisord >/dev/null || missing+=(supervisor)
command -v cgcreate >/dev/null || missing+=(cgroup-tools)
command -v setpriv >/dev/null || missing+=(util-linux)
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v pg_dump >/dev/null || missing+=(postgresql-client)
command -v git >/dev/null || missing+=(git)
command -v curl >/dev/null || missing+=(curl)
# The boxes' native relay (scripts/build-relay.sh, in `npm run build`).
command -v cc >/dev/null || missing+=(gcc)
# Debian's cluster tools (pg_createcluster: the tests' second hosts, test/helpers/debian-cluster.ts)
# and a Postgres server's programs for them (installed below, after postgresql-common).
command -v pg_createcluster >/dev/null || missing+=(postgresql-common)
server_programs=yes
compgen -G "/usr/lib/postgresql/*/bin/postgres" >/dev/null || server_programs=no

pgbouncer_ok() {
  local v
  v=$("$PGBOUNCER_PREFIX/bin/pgbouncer" --version 2>/dev/null | head -1 | grep -oE '[0-9]+\.[0-9]+' | head -1) || return 1
  [ -n "$v" ] && [ "${v%%.*}" -ge 1 ] && [ "${v#*.}" -ge 21 ]
}
pgbouncer_ok || missing+=(libevent-dev libssl-dev pkg-config libc-ares-dev make gcc dpkg-dev)

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else
    echo "setup-host: '$*' needs root (run this once as root, or install it yourself)" >&2
    return 1
  fi
}

if [ ${#missing[@]} -gt 0 ]; then
  echo "setup-host: installing ${missing[*]}" >&2
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
fi

if [ "$server_programs" = no ]; then
  # Postgres runs elsewhere (docker compose): the server package only, without the main cluster
  # Debian would create on port 5432 (create_main_cluster off is read by its postinst).
  echo "setup-host: installing Debian's Postgres server programs (no cluster is created)" >&2
  [ ${#missing[@]} -gt 0 ] || as_root apt-get update -qq
  command -v pg_conftool >/dev/null ||
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-common >/dev/null
  as_root pg_conftool /etc/postgresql-common/createcluster.conf set create_main_cluster off
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    postgresql >/dev/null
fi

if ! pgbouncer_ok; then
  echo "setup-host: building PgBouncer from Debian trixie's source into $PGBOUNCER_PREFIX" >&2
  src_list=/etc/apt/sources.list.d/coduck-trixie-src.list
  if [ ! -f "$src_list" ]; then
    echo "deb-src http://deb.debian.org/debian trixie main" | as_root tee "$src_list" >/dev/null
    as_root apt-get update -qq
  fi
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  (cd "$work" && apt-get source --download-only pgbouncer >/dev/null 2>&1)
  tar -xf "$work"/pgbouncer_*.orig.tar.* -C "$work"
  dir=$(find "$work" -maxdepth 1 -type d -name 'pgbouncer-*' | head -1)
  (cd "$dir" && quiet ./configure --prefix="$PGBOUNCER_PREFIX" --without-systemd &&
    quiet make -j"$(nproc)" && as_root make install >/dev/null)
  pgbouncer_ok || { echo "setup-host: the PgBouncer build did not install a working binary" >&2; exit 1; }
fi

# Debian bookworm's own PgBouncer 1.18 (no prepared statements in transaction mode), unpacked
# beside it for the one test that keeps the legacy setting (PGBOUNCER_MAX_PREPARED_STATEMENTS=0).
LEGACY_PGBOUNCER_DIR=${LEGACY_PGBOUNCER_DIR:-/opt/coduck/pgbouncer-1.18}
if [ ! -x "$LEGACY_PGBOUNCER_DIR/usr/sbin/pgbouncer" ]; then
  legacy=$(mktemp -d)
  (cd "$legacy" && apt-get download pgbouncer=1.18.* >/dev/null 2>&1 || apt-get download pgbouncer >/dev/null 2>&1)
  as_root dpkg -x "$legacy"/pgbouncer_1.18*.deb "$LEGACY_PGBOUNCER_DIR" ||
    echo "setup-host: Debian's PgBouncer 1.18 is not available; the legacy PgBouncer test will fail" >&2
  rm -rf "$legacy"
fi
