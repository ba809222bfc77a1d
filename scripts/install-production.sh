#!/usr/bin/env bash
# The production install, run in a checkout of the gateway: the dependencies as package-lock.json
# locks them, the build, then only what runs (no dev dependencies). Start it with
# `node dist/src/bin.js` (or `npx cxone-gateway`) and the variables the README's "Production" names.
# Extra npm flags (e.g. --prefer-offline) may be passed as arguments.
set -euo pipefail
cd "$(dirname "$0")/.."
npm ci --no-audit --no-fund "$@"
npm run build
npm prune --omit=dev --no-audit --no-fund "$@"
