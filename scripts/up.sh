#!/usr/bin/env bash
# Brings up an all-in-one Kumo cloud; installs what it needs on first run.
# Flags go to `kumo up` (e.g. --data-dir DIR --host 0.0.0.0).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec node bin/kumo.js up "$@"
