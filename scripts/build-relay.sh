#!/usr/bin/env bash
# Compiles the box's native relay (src/exec/box-relay.c) into dist/src/exec/box-relay: every
# sandboxed command starts behind it, and a C program starts in about a millisecond where the
# Node relay (box-relay.ts) takes 50-90 ms. And slirp4netns's listen backlog shim
# (src/exec/slirp-backlog.c) into dist/src/exec/slirp-backlog.so. Part of `npm run build`;
# without a C compiler the boxes use the Node relay and slirp's own backlog (setup-host
# installs gcc).
set -euo pipefail
cd "$(dirname "$0")/.."
out=dist/src/exec/box-relay
shim=dist/src/exec/slirp-backlog.so
mkdir -p "$(dirname "$out")"
if ! command -v cc >/dev/null; then
  rm -f "$out" "$shim"
  echo "build-relay: no C compiler (cc): boxes use the Node relay" >&2
  exit 0
fi
cc -O2 -Wall -Wextra -Werror -o "$out.tmp" src/exec/box-relay.c
chmod 0755 "$out.tmp"
mv "$out.tmp" "$out"
cc -O2 -Wall -Wextra -Werror -shared -fPIC -o "$shim.tmp" src/exec/slirp-backlog.c -ldl
chmod 0755 "$shim.tmp"
mv "$shim.tmp" "$shim"
