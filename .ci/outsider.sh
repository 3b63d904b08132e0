#!/usr/bin/env bash
# The outsider check: every published package packed, checked (no workspace: specifier, no file
# its package.json names missing), installed with npm into a fresh project outside the
# workspace, type-checked there under strict without skipLibCheck, and run: an example energy on
# three backends, a misspelt parameter that must fail tsc, and `npx unfold train`. Runnable
# locally: bash .ci/outsider.sh [--keep]. Needs the npm registry (for third-party packages).
set -euo pipefail
cd "$(dirname "$0")/.."
pnpm -s build
cd tooling/outsider
node --import tsx src/bin/outsider.ts "$@"
