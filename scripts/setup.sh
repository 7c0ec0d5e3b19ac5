#!/usr/bin/env bash
# Installs everything the generator and its tests need, offline-safe afterwards.
#
#   scripts/setup.sh            Python venv + cdk8s CLI (enough to generate charts)
#   scripts/setup.sh --test     also Helm 3 and 4, checkov, kube-score, an OCI registry,
#                               the real ServiceMonitor and Gateway API CRDs (what the tests need)
#
# Tools built from source are cached outside the clone, keyed by version, in
# $EHCF_CACHE (default ~/.cache/enhanced-helm-charts), and linked into .tools/bin
# (the CRD into .tools/crds).
set -euo pipefail
cd "$(dirname "$0")/.."

HELM3_VERSION=v3.22.0
HELM4_VERSION=v4.3.1
CHECKOV_VERSION=3.3.30
KUBE_SCORE_VERSION=v1.20.0
REGISTRY_VERSION=v3.1.2
PROMETHEUS_OPERATOR_VERSION=v0.85.0
GATEWAY_API_VERSION=v1.6.3
CACHE=${EHCF_CACHE:-$HOME/.cache/enhanced-helm-charts}
TOOLS_BIN=$PWD/.tools/bin
mode=${1:-}

log() { printf '[setup] %s\n' "$*" >&2; }
mkdir -p "$CACHE" "$TOOLS_BIN"

# Python: the project's own virtualenv, refreshed when requirements change.
req_stamp=$(cat requirements.txt requirements-dev.txt pyproject.toml | sha256sum | cut -c1-16)
if [ ! -x .venv/bin/python ] || [ "$(cat .venv/.stamp 2>/dev/null)" != "$req_stamp" ]; then
  log "python venv"
  python3 -m venv .venv
  .venv/bin/pip install -q --disable-pip-version-check -r requirements-dev.txt
  .venv/bin/pip install -q --disable-pip-version-check --no-deps --no-build-isolation -e . 2>/dev/null \
    || .venv/bin/pip install -q --disable-pip-version-check --no-deps -e .
  echo "$req_stamp" > .venv/.stamp
fi

# cdk8s CLI, pinned in package.json / package-lock.json.
if [ ! -x node_modules/.bin/cdk8s ]; then
  log "cdk8s CLI (npm)"
  npm ci --no-audit --no-fund --loglevel=error
fi

[ "$mode" = "--test" ] || exit 0

# The runtime dependencies as wheels, keyed by requirements.txt: the outside-user test installs
# this project's wheel into a fresh virtualenv from them, offline.
wheels="$CACHE/wheels-$(sha256sum requirements.txt | cut -c1-16)"
if [ ! -f "$wheels/.complete" ]; then
  log "runtime wheels (first time only)"
  rm -rf "$wheels" && .venv/bin/pip download -q --disable-pip-version-check -d "$wheels" -r requirements.txt
  touch "$wheels/.complete"  # a half-finished download is redone, never used
fi
ln -sfn "$wheels" .tools/wheels

# Go tools from the Go module proxy, built once per version.
go_build() { # name version package link
  local name=$1 version=$2 package=$3 link=$4 dir="$CACHE/$1-$2"
  if [ ! -x "$dir/$name" ]; then
    log "building $name $version (first time only)"
    rm -rf "$dir.tmp"
    GOBIN="$dir.tmp" go install "$package@$version"
    rm -rf "$dir" && mv "$dir.tmp" "$dir"  # a half-finished build is redone, never used
  fi
  ln -sf "$dir/$name" "$TOOLS_BIN/$link"
}
go_build helm "$HELM3_VERSION" helm.sh/helm/v3/cmd/helm helm3
go_build helm "$HELM4_VERSION" helm.sh/helm/v4/cmd/helm helm4

# checkov lives in its own virtualenv: its pins conflict with our test deps.
ck="$CACHE/checkov-$CHECKOV_VERSION"
if [ ! -f "$ck/.complete" ]; then
  log "checkov $CHECKOV_VERSION (first time only)"
  rm -rf "$ck" && python3 -m venv "$ck"
  "$ck/bin/pip" install -q --disable-pip-version-check "checkov==$CHECKOV_VERSION"
  touch "$ck/.complete"  # a half-finished install is redone, never used
fi
ln -sf "$ck/bin/checkov" "$TOOLS_BIN/checkov"

# kube-score, a second policy scanner (tests/test_kube_score.py).
go_build kube-score "$KUBE_SCORE_VERSION" github.com/zegl/kube-score/cmd/kube-score kube-score
# The CNCF distribution registry: tests publish charts to it over OCI (tests/test_publish.py).
go_build registry "$REGISTRY_VERSION" github.com/distribution/distribution/v3/cmd/registry registry

# CRDs as their projects publish them, from their Go modules (the proxy serves the source
# tree), cached by version and linked into .tools/crds: the tests check what we render
# against them and tests/e2e installs them on the API server.
go_crds() { # name version module folder file...
  local name=$1 version=$2 module=$3 folder=$4 dir="$CACHE/$1-$2" file missing=
  shift 4
  for file in "$@"; do [ -s "$dir/$file" ] || missing=1; done
  if [ -n "$missing" ]; then
    log "$name $version CRDs (first time only)"
    local src
    src=$(go mod download -json "$module@$version" \
      | python3 -c 'import json, sys; m = json.load(sys.stdin); print(m.get("Dir") or sys.exit(m.get("Error", "no Dir")))')
    rm -rf "$dir.tmp" && mkdir -p "$dir.tmp"
    for file in "$@"; do install -m 644 "$src/$folder/$file" "$dir.tmp/$file"; done
    rm -rf "$dir" && mv "$dir.tmp" "$dir"  # a half-finished copy is redone, never used
  fi
  mkdir -p "$PWD/.tools/crds"
  for file in "$@"; do ln -sf "$dir/$file" "$PWD/.tools/crds/$file"; done
}
# prometheus-operator's ServiceMonitor (our imports/crds copy is trimmed: tests/test_servicemonitor_crd.py).
go_crds prometheus-operator "$PROMETHEUS_OPERATOR_VERSION" github.com/prometheus-operator/prometheus-operator \
  example/prometheus-operator-crd monitoring.coreos.com_servicemonitors.yaml
# Gateway API routes (the chart's gateway feature; imports/ is generated from them by scripts/import-crds.sh).
go_crds gateway-api "$GATEWAY_API_VERSION" sigs.k8s.io/gateway-api config/crd/standard \
  gateway.networking.k8s.io_httproutes.yaml gateway.networking.k8s.io_grpcroutes.yaml

# A real Kubernetes control plane (etcd, kube-apiserver, ...) for tests/e2e, cached by version.
log "control plane (first build takes 10-15 minutes)"
tests/e2e/cluster.sh build >/dev/null

# Bazel: Debian's bazel-bootstrap (4.2.3) is the one Bazel served here.
if ! command -v bazel >/dev/null; then
  log "bazel-bootstrap (apt)"
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bazel-bootstrap >/dev/null
  else
    log "not root: install bazel-bootstrap yourself to run tests/test_bazel.py"
  fi
fi

log "ready: $(ls "$TOOLS_BIN" | tr '\n' ' ')"
