#!/usr/bin/env bash
# Runs the test suite on other Node versions than the machine's, with the Node binaries the npm
# registry ships as the `node` package: `scripts/test-node-versions.sh 22 24` (default: 22 24).
# Vitest's workers and the end-to-end tests' app processes use the same binary (process.execPath).
set -euo pipefail
cd "$(dirname "$0")/.."
versions=("$@")
[ ${#versions[@]} -eq 0 ] && versions=(22 24)
for version in "${versions[@]}"; do
  echo "--- the test suite on Node ${version}"
  npx --yes --package "node@${version}" -- node --version
  npx --yes --package "node@${version}" -- node node_modules/vitest/vitest.mjs run
done
