#!/usr/bin/env bash
# The production install of the gateway, in one of two shapes. Start the result with
# `node dist/src/bin.js` (or `npx cxone-gateway`) and the variables the README's "Running in
# production" names. Extra npm flags (e.g. --prefer-offline) may follow.
#
#   scripts/install-production.sh [npm flags]
#       In place, in a checkout: the dependencies as package-lock.json locks them, the build, then
#       only what runs (npm ci, npm run build, npm prune --omit=dev).
#
#   scripts/install-production.sh --into DIR [npm flags]
#       Two stages, as a container build does it: build here (a checkout where `npm ci` ran; the
#       build is incremental), then put the built files and the lock file in DIR and install only the
#       runtime dependencies there (npm ci --omit=dev). DIR never holds a compiler or a test tool.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${1:-}" = "--into" ]; then
  target="${2:?--into needs a directory}"
  shift 2
  npm run build
  mkdir -p "$target"
  cp package.json package-lock.json LICENSE README.md "$target/"
  rm -rf "$target/dist"
  cp -R dist "$target/dist"
  rm -f "$target/dist/.tsbuildinfo"
  (cd "$target" && npm ci --omit=dev --no-audit --no-fund "$@")
  exit 0
fi

npm ci --no-audit --no-fund "$@"
npm run build
npm prune --omit=dev --no-audit --no-fund "$@"
