#!/usr/bin/env bash
# The bare deploy of a Prisma + TypeScript app (bench/apps/ledger) the worker is measured
# against: the commands the worker's steps run for it, in the same order, nothing recorded:
# provision, checkout, npm ci, prisma generate, npm run build, the schema step's Prisma commands, start.
# Postgres is reached through PGHOST/PGPORT/PGUSER. Prisma loads the app's prisma.config.ts here,
# as the worker's generated config for `db push` does (it unrefs the 60 s timer Prisma 6.19's JS
# schema engine leaves armed: without that, this script's push took 64 s and the worker's 8-12 s).
#
# usage: deploy-app.sh <repo> <release dir> <database and role name> <port>
set -euo pipefail
repo=$1 dir=$2 name=$3 port=$4

mark=$(date +%s%N)
phase() { local now; now=$(date +%s%N); echo "$1 $(((now - mark) / 1000000))"; mark=$now; }

if [ -z "$(psql -X -tAc "SELECT 1 FROM pg_roles WHERE rolname = '$name'")" ]; then
  createuser --login --no-superuser --no-createdb --no-createrole --no-replication \
    --connection-limit=20 "$name"
  createdb --owner="$name" "$name"
fi
phase provision

mkdir -p "$dir"
cd "$dir"
git init --quiet .
git fetch --quiet --depth=1 --no-tags "$repo" main
git checkout --quiet --detach FETCH_HEAD
phase checkout

npm ci >/dev/null
phase install

export DATABASE_URL="postgresql://$name@$PGHOST:$PGPORT/$name" CHECKPOINT_DISABLE=1
./node_modules/.bin/prisma generate --schema prisma/schema.prisma >/dev/null
npm run build >/dev/null
phase build

# The schema step's Prisma commands for an app whose tables are all its own: the create script
# (the schema gate), the push. The client is the one generated before the build.
prisma=./node_modules/.bin/prisma
$prisma migrate diff --from-empty --to-schema-datamodel prisma/schema.prisma --script --output .schema-create.sql >/dev/null
$prisma db push --skip-generate --schema prisma/schema.prisma >/dev/null
phase schema

PORT=$port NODE_ENV=production setsid npm start >app.log 2>&1 &
app=$!
for _ in $(seq 1 600); do
  if curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:$port/"; then
    phase start
    kill -TERM -- "-$app"
    exit 0
  fi
  kill -0 "$app" 2>/dev/null || { cat app.log >&2; exit 1; }
  sleep 0.1
done
kill -KILL -- "-$app"
echo "the app did not answer on port $port" >&2
exit 1
