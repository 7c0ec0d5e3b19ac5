#!/usr/bin/env bash
# Regenerates imports/ from the CRDs in imports/crds/ with the pinned cdk8s CLI (offline).
set -euo pipefail
cd "$(dirname "$0")/.."
for crd in imports/crds/*.yaml; do
  node_modules/.bin/cdk8s import "$crd" --language python --output imports --no-check-upgrade
done
