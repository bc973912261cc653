#!/usr/bin/env bash
# Deploys examples/hello through a real worker, end to end: makes a git repository of the app,
# starts `coduck-worker start`, queues the deploy with `coduck-worker deploy --wait` as the
# webhook would, prints the record, fetches the app through its stable address, stops the release
# (`releases stop`) and the worker. Uses the same environment as the
# worker (defaults: the local Redis and Postgres).
set -euo pipefail
cd "$(dirname "$0")/.."

# Locally the direct port is the one Postgres listens on (production uses 5433).
export DIRECT_DATABASE_PORT=${DIRECT_DATABASE_PORT:-5432}
data_dir=${DATA_DIR:-$HOME/.coduck-worker}
repo="$data_dir/example-repos/hello"
rm -rf "$repo"
mkdir -p "$repo"
cp -r examples/hello/. "$repo"
git -C "$repo" init --quiet --initial-branch=main
git -C "$repo" add --all
git -C "$repo" -c user.name="CoDuck example" -c user.email=example@coduck.invalid commit --quiet -m "hello"

# Apps reach their database through PgBouncer, as on the platform: with none configured, start
# one in the platform's mode for the example (and stop it at the end).
mkdir -p "$data_dir"
pgbouncer_pid=$(bash scripts/local-pgbouncer.sh "$data_dir/pgbouncer-auth-password")
export PGBOUNCER_AUTH_PASSWORD=${PGBOUNCER_AUTH_PASSWORD:-$(cat "$data_dir/pgbouncer-auth-password")}
[ -n "$pgbouncer_pid" ] && echo "started PgBouncer 1.24 on 127.0.0.1:${PGBOUNCER_PORT:-6432}"
# Full provisioning (re)sets pgbouncer_auth's password to the one that PgBouncer was given.
node bin/coduck-worker.js provision --project hello >/dev/null

log="$data_dir/example-worker.log"
node bin/coduck-worker.js start >"$log" 2>&1 &
worker=$!
stop_all() {
  kill -TERM "$worker" 2>/dev/null || true
  wait "$worker" 2>/dev/null || true
  if [ -n "$pgbouncer_pid" ] && [ -f "$pgbouncer_pid" ]; then kill -INT "$(cat "$pgbouncer_pid")" 2>/dev/null || true; fi
}
trap stop_all EXIT

echo "worker started (pid $worker, log: $log)"
record="$data_dir/example-deployment.json"
node bin/coduck-worker.js deploy --project hello --repo "$repo" --ref main --wait --json >"$record"
node -e 'const d = JSON.parse(require("fs").readFileSync(process.argv[1])); console.log(`deployment ${d.id}: ${d.status}${d.errorCode ? ` (${d.errorCode})` : ""}; the record is in ${process.argv[1]}`); if (d.status !== "succeeded") process.exit(1)' "$record"

# The release is live at the project's stable address, through the worker's Caddy (curl resolves
# *.localhost to this machine itself): ask it something, then stop it, or it keeps serving.
url=$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1])).release.url)' "$record")
echo "GET $url -> $(curl -fsS "$url")"
node bin/coduck-worker.js releases stop --project hello
