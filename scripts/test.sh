#!/usr/bin/env bash
# Runs every check and test; installs what it needs on first run.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --test
echo "== typecheck";   npm run --silent typecheck
echo "== lint";        npx eslint --max-warnings 0 .
echo "== format";      npx prettier --check . >/dev/null || { npx prettier --list-different .; exit 1; }
echo "== tests";       npm test
