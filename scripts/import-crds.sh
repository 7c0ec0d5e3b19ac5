#!/usr/bin/env bash
# Regenerates imports/ with the pinned cdk8s CLI (offline): the trimmed CRDs in
# imports/crds/, and the Gateway API routes as the project publishes them
# (scripts/setup.sh --test links them into .tools/crds from the Go module).
set -euo pipefail
cd "$(dirname "$0")/.."
# cdk8s import records each source in cdk8s.yaml (and drops its comments): keep ours.
config=$(mktemp) routes=$(mktemp --suffix=.yaml)
cp cdk8s.yaml "$config"
trap 'cp "$config" cdk8s.yaml; rm -f "$config" "$routes"' EXIT
for crd in imports/crds/*.yaml; do
  node_modules/.bin/cdk8s import "$crd" --language python --output imports --no-check-upgrade
done
# One file: cdk8s import writes one module per API group, so both routes must come in one run.
{ cat .tools/crds/gateway.networking.k8s.io_httproutes.yaml; echo "---"; cat .tools/crds/gateway.networking.k8s.io_grpcroutes.yaml; } >"$routes"
node_modules/.bin/cdk8s import "$routes" --language python --output imports --no-check-upgrade
