#!/usr/bin/env bash
# Sets up everything the tests need (first run builds Helm 3 and 4, checkov, a
# Kubernetes control plane and Bazel; later runs reuse the cache), then runs them.
#   scripts/test.sh [pytest args]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test
# Two workers, each taking whole files (module fixtures stay shared): the suite waits
# mostly on helm, Bazel and the API server, so this takes it from 17 to 11.5 minutes here.
exec .venv/bin/python -m pytest -n "${EHCF_TEST_WORKERS:-2}" --dist loadfile "$@"
