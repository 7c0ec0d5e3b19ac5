#!/usr/bin/env bash
# Sets up everything the tests need (first run builds Helm 3 and 4, checkov, a
# Kubernetes control plane and Bazel; later runs reuse the cache), then runs them.
#   scripts/test.sh [pytest args]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test
exec .venv/bin/python -m pytest "$@"
