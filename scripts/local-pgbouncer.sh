#!/usr/bin/env bash
# Starts a PgBouncer the way the platform runs it (transaction pooling, max_prepared_statements
# = 100, auth_query on each project database's lookup as pgbouncer_auth) in front of the local
# Postgres, unless something already listens on PGBOUNCER_PORT. pgbouncer_auth's password is
# read from PASSWORD_FILE (argument 1), made there (0600) the first time: the worker must be
# given the same (PGBOUNCER_AUTH_PASSWORD). Prints the pid file of the PgBouncer it started
# (nothing when one was already listening). For the quick start, where no PgBouncer is
# configured; production runs its own (deploy/pgbouncer/).
set -euo pipefail

password_file=$1
port=${PGBOUNCER_PORT:-6432}
postgres_port=${LOCAL_POSTGRES_PORT:-5432}
bin=${PGBOUNCER_BIN:-${PGBOUNCER_PREFIX:-/opt/coduck/pgbouncer}/bin/pgbouncer}

[ -s "$password_file" ] || (umask 077 && head -c 24 /dev/urandom | base64 | tr -d '/+=' >"$password_file")
password=$(cat "$password_file")

if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then exit 0; fi

# Its own directory, which the user PgBouncer runs as (postgres, when started by root) can read.
dir=$(mktemp -d "${TMPDIR:-/tmp}/coduck-pgbouncer-XXXXXX")

# pgbouncer reads these as the user it runs as (postgres when started by root).
printf '"pgbouncer_auth" "%s"\n' "$password" >"$dir/userlist.txt"
cat >"$dir/pgbouncer.ini" <<INI
[databases]
* = host=127.0.0.1 port=$postgres_port

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $port
unix_socket_dir =
logfile = $dir/pgbouncer.log
pidfile = $dir/pgbouncer.pid
pool_mode = transaction
max_prepared_statements = 100
auth_type = scram-sha-256
auth_file = $dir/userlist.txt
auth_user = pgbouncer_auth
auth_query = SELECT usename, passwd FROM public.user_lookup(\$1)
max_client_conn = 200
default_pool_size = 5
ignore_startup_parameters = extra_float_digits,options
INI
as_user=()
if [ "$(id -u)" -eq 0 ]; then
  as_user=(-u postgres)
  chown postgres "$dir/userlist.txt" "$dir/pgbouncer.ini"
  touch "$dir/pgbouncer.log" && chown postgres "$dir/pgbouncer.log"
  chown postgres "$dir"
  chmod 0700 "$dir"
fi
chmod 0600 "$dir/userlist.txt"
"$bin" -d "${as_user[@]}" "$dir/pgbouncer.ini" >/dev/null
for _ in $(seq 1 100); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "$dir/pgbouncer.pid"
    exit 0
  fi
  sleep 0.05
done
echo "local-pgbouncer: PgBouncer did not start; see $dir/pgbouncer.log" >&2
exit 1
