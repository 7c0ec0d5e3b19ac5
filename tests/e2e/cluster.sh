#!/usr/bin/env bash
# A real Kubernetes control plane for the e2e tests, built from source.
#
#   cluster.sh build       build etcd, kube-apiserver, kube-controller-manager,
#                          kube-scheduler and kwok once per version into
#                          $EHCF_CACHE (default ~/.cache/enhanced-helm-charts);
#                          prints the bin directory
#   cluster.sh start DIR   certificates, etcd, apiserver, controller-manager,
#                          scheduler and kwok (one fake node, so pods get
#                          scheduled and become Ready) in DIR; writes
#                          DIR/kubeconfig, DIR/*.log, DIR/*.pid; returns once
#                          the API serves and namespaces can be deleted
#   cluster.sh stop DIR    stop all processes started in DIR
#
# Everything listens on 127.0.0.1 only. Versions come from the wrapper modules
# in etcd/go.mod and kube/go.mod beside this script.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
modver() { # dir module: its required version, in or out of a require block
  awk -v m="$2" '$1 == m { print $2 } $1 == "require" && $2 == m { print $3 }' "$HERE/$1/go.mod"
}
K8S_VERSION=$(modver kube k8s.io/kubernetes)
ETCD_VERSION=$(modver etcd go.etcd.io/etcd/server/v3)
KWOK_VERSION=v0.8.0
CACHE=${EHCF_CACHE:-$HOME/.cache/enhanced-helm-charts}
PLANE_DIR=$CACHE/control-plane-$K8S_VERSION-etcd-$ETCD_VERSION
KWOK_DIR=$CACHE/kwok-$KWOK_VERSION
BIN=$PLANE_DIR/bin
PLANE_BINARIES=(etcd kube-apiserver kube-controller-manager kube-scheduler)
# Stop order: clients first, etcd last.
COMPONENTS=(kwok kube-scheduler kube-controller-manager kube-apiserver etcd)

log() { printf '[cluster] %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

have_all() { # dir files...
  local dir=$1 f; shift
  for f in "$@"; do [ -s "$dir/$f" ] || return 1; done
}

# Builds into a temp dir beside the target, then renames it into place, so an
# interrupted build never leaves a half-filled cache entry behind.
publish() { # tmp target
  chmod 755 "$1"
  rm -rf "$2"
  mv -T "$1" "$2"
}

build() {
  mkdir -p "$CACHE"
  if ! have_all "$BIN" "${PLANE_BINARIES[@]}"; then
    log "building control plane $K8S_VERSION, etcd $ETCD_VERSION (first time only)"
    local tmp minor
    tmp=$(mktemp -d "$PLANE_DIR.tmp.XXXXXX")
    trap 'rm -rf "$tmp"' EXIT
    (cd "$HERE/etcd" && go build -ldflags "-s -w" -o "$tmp/bin/etcd" .)
    # Without -X the binaries report v0.0.0-master; clients (Helm's
    # kubeVersion checks) need the real version.
    minor=$(cut -d. -f2 <<<"$K8S_VERSION")
    (cd "$HERE/kube" && go build -o "$tmp/bin/" -ldflags "-s -w \
        -X k8s.io/component-base/version.gitVersion=$K8S_VERSION \
        -X k8s.io/component-base/version.gitMajor=1 \
        -X k8s.io/component-base/version.gitMinor=$minor \
        -X k8s.io/component-base/version.gitTreeState=clean" \
      k8s.io/kubernetes/cmd/kube-apiserver \
      k8s.io/kubernetes/cmd/kube-controller-manager \
      k8s.io/kubernetes/cmd/kube-scheduler)
    publish "$tmp" "$PLANE_DIR"
    trap - EXIT
  fi
  if ! have_all "$KWOK_DIR" kwok stages.yaml; then
    log "building kwok $KWOK_VERSION (first time only)"
    local tmp
    tmp=$(mktemp -d "$KWOK_DIR.tmp.XXXXXX")
    trap 'rm -rf "$tmp"' EXIT
    GOBIN=$tmp go install -ldflags "-s -w" "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION"
    # kwok has no built-in behaviour: these are kwokctl's default "fast"
    # stages (nodes Ready with leases, pods Running/Ready at once).
    local stages f
    stages=$(go env GOMODCACHE)/sigs.k8s.io/kwok@$KWOK_VERSION/kustomize/stage
    for f in node/fast/node-initialize node/heartbeat-with-lease/node-heartbeat-with-lease \
             pod/fast/pod-ready pod/fast/pod-complete pod/fast/pod-delete; do
      echo "---"; cat "$stages/$f.yaml"
    done >"$tmp/stages.yaml"
    publish "$tmp" "$KWOK_DIR"
    trap - EXIT
  fi
  echo "$BIN"
}

free_ports() { # count
  python3 - "$1" <<'EOF'
import socket, sys
socks = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))
EOF
}

certs() { # dir
  local d=$1
  openssl req -x509 -newkey rsa:2048 -nodes -days 365 -subj "/CN=e2e-ca" \
    -keyout "$d/ca.key" -out "$d/ca.crt" 2>/dev/null
  issue() { # name subject [extensions]
    openssl req -newkey rsa:2048 -nodes -subj "$2" \
      -keyout "$d/$1.key" -out "$d/$1.csr" 2>/dev/null
    openssl x509 -req -in "$d/$1.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" \
      -CAcreateserial -days 365 -out "$d/$1.crt" ${3:+-extfile <(printf '%s\n' "$3")} 2>/dev/null
    rm "$d/$1.csr"
  }
  issue apiserver "/CN=kube-apiserver" \
    "subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes.default.svc,IP:10.96.0.1
extendedKeyUsage=serverAuth"
  # system:masters: full access regardless of RBAC.
  issue admin "/O=system:masters/CN=e2e-admin" "extendedKeyUsage=clientAuth"
  openssl genrsa -out "$d/sa.key" 2048 2>/dev/null
  openssl rsa -in "$d/sa.key" -pubout -out "$d/sa.pub" 2>/dev/null
}

kubeconfig() { # dir port
  local d=$1 b64='base64 -w0'
  cat >"$d/kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: e2e
  cluster:
    server: https://127.0.0.1:$2
    certificate-authority-data: $($b64 "$d/ca.crt")
users:
- name: e2e-admin
  user:
    client-certificate-data: $($b64 "$d/admin.crt")
    client-key-data: $($b64 "$d/admin.key")
contexts:
- name: e2e
  context: {cluster: e2e, user: e2e-admin}
current-context: e2e
EOF
  chmod 600 "$d/kubeconfig"
}

launch() { # dir name binary args...
  local d=$1 name=$2 bin=$3; shift 3
  # setsid + closed stdio: the caller (pytest's subprocess) must not wait on
  # our pipes, and Ctrl-C in the caller's terminal must not reach the plane.
  setsid "$bin" "$@" </dev/null >"$d/$name.log" 2>&1 &
  echo $! >"$d/$name.pid"
}

api() { # dir method path [curl args...]
  local d=$1 method=$2 path=$3; shift 3
  curl -sS --fail --max-time 10 -X "$method" --cacert "$d/ca.crt" \
    --cert "$d/admin.crt" --key "$d/admin.key" \
    "$(cat "$d/server")$path" "$@"
}

wait_for() { # seconds description command...
  local deadline=$((SECONDS + $1)) what=$2; shift 2
  until "$@" >/dev/null 2>&1; do
    [ "$SECONDS" -lt "$deadline" ] || { log "timed out waiting for $what"; return 1; }
    sleep 0.5
  done
}

alive() { # dir: every launched process still runs
  local f
  for f in "$1"/*.pid; do running "$(cat "$f")" || { log "$(basename "$f" .pid) exited"; return 1; }; done
}

ns_gone() { [ "$(api "$1" GET "/api/v1/namespaces/$2" -o /dev/null -w '%{http_code}' 2>/dev/null)" = 404 ]; }

start() { # dir
  local d
  mkdir -p "$1" && d=$(cd "$1" && pwd)
  ls "$d"/*.pid >/dev/null 2>&1 && die "$d already has a running plane; stop it first"
  have_all "$BIN" "${PLANE_BINARIES[@]}" && have_all "$KWOK_DIR" kwok stages.yaml || die "binaries missing: run '$0 build' first"
  local t0=$SECONDS etcd_port peer_port api_port
  read -r etcd_port peer_port api_port <<<"$(free_ports 3)"
  certs "$d"
  kubeconfig "$d" "$api_port"
  echo "https://127.0.0.1:$api_port" >"$d/server"

  launch "$d" etcd "$BIN/etcd" --name e2e --data-dir "$d/etcd-data" \
    --listen-client-urls "http://127.0.0.1:$etcd_port" --advertise-client-urls "http://127.0.0.1:$etcd_port" \
    --listen-peer-urls "http://127.0.0.1:$peer_port" --initial-advertise-peer-urls "http://127.0.0.1:$peer_port" \
    --initial-cluster "e2e=http://127.0.0.1:$peer_port" \
    --unsafe-no-fsync --quota-backend-bytes 1073741824
  # A loopback advertise address cannot be an Endpoints IP, so the
  # "kubernetes" Service endpoint reconciler is off (nothing in-cluster runs).
  launch "$d" kube-apiserver "$BIN/kube-apiserver" \
    --etcd-servers "http://127.0.0.1:$etcd_port" \
    --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$api_port" \
    --endpoint-reconciler-type none \
    --tls-cert-file "$d/apiserver.crt" --tls-private-key-file "$d/apiserver.key" \
    --client-ca-file "$d/ca.crt" --authorization-mode RBAC --allow-privileged \
    --service-cluster-ip-range 10.96.0.0/16 \
    --service-account-issuer https://kubernetes.default.svc.cluster.local \
    --service-account-key-file "$d/sa.pub" --service-account-signing-key-file "$d/sa.key" \
    --profiling=false
  wait_for 90 "kube-apiserver /readyz" api "$d" GET /readyz || { stop "$d"; return 1; }

  # Serving ports 0: these need no HTTPS endpoint here, and must not listen.
  launch "$d" kube-controller-manager "$BIN/kube-controller-manager" \
    --kubeconfig "$d/kubeconfig" --secure-port 0 --leader-elect=false \
    --service-account-private-key-file "$d/sa.key" --root-ca-file "$d/ca.crt" \
    --cluster-signing-cert-file "$d/ca.crt" --cluster-signing-key-file "$d/ca.key" \
    --service-cluster-ip-range 10.96.0.0/16 --profiling=false
  launch "$d" kube-scheduler "$BIN/kube-scheduler" \
    --kubeconfig "$d/kubeconfig" --secure-port 0 --leader-elect=false --profiling=false
  launch "$d" kwok "$KWOK_DIR/kwok" --kubeconfig "$d/kubeconfig" --config "$KWOK_DIR/stages.yaml" \
    --manage-all-nodes=false --manage-nodes-with-annotation-selector kwok.x-k8s.io/node=fake \
    --server-address "" --node-ip 127.0.0.1 --node-lease-duration-seconds 40
  # kwok keeps this node Ready and runs (fakes) every pod bound to it.
  api "$d" POST /api/v1/nodes -H 'Content-Type: application/json' -o /dev/null -d '{
    "apiVersion": "v1", "kind": "Node",
    "metadata": {"name": "kwok-node-0", "annotations": {"kwok.x-k8s.io/node": "fake", "node.alpha.kubernetes.io/ttl": "0"},
                 "labels": {"kubernetes.io/hostname": "kwok-node-0", "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64", "type": "kwok"}},
    "status": {"allocatable": {"cpu": "32", "memory": "256Gi", "pods": "110"},
               "capacity": {"cpu": "32", "memory": "256Gi", "pods": "110"}}}' || { stop "$d"; return 1; }

  # Ready means: the default ServiceAccount exists (token + serviceaccount
  # controllers run) and a namespace deletion completes (namespace controller
  # and garbage collector run).
  local ok=1
  wait_for 60 "default ServiceAccount" api "$d" GET /api/v1/namespaces/default/serviceaccounts/default || ok=0
  [ "$ok" = 1 ] && { api "$d" POST /api/v1/namespaces -H 'Content-Type: application/json' -o /dev/null \
      -d '{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"e2e-probe"}}' || ok=0; }
  [ "$ok" = 1 ] && { api "$d" DELETE /api/v1/namespaces/e2e-probe -o /dev/null || ok=0; }
  [ "$ok" = 1 ] && { wait_for 60 "namespace deletion" ns_gone "$d" e2e-probe || ok=0; }
  [ "$ok" = 1 ] && { alive "$d" || ok=0; }
  if [ "$ok" = 0 ]; then stop "$d"; return 1; fi
  log "control plane $K8S_VERSION ready in $((SECONDS - t0))s: $(cat "$d/server"), kubeconfig $d/kubeconfig"
}

# A zombie (our own unreaped child when start fails) has stopped too.
running() { grep -q '^State:[[:space:]]*[^Z[:space:]]' "/proc/$1/status" 2>/dev/null; }

stop() { # dir
  local d=$1 name pid pids=()
  for name in "${COMPONENTS[@]}"; do
    [ -f "$d/$name.pid" ] || continue
    pid=$(cat "$d/$name.pid")
    # Only signal a PID that is still ours (its command line names DIR).
    if grep -qF "$d" "/proc/$pid/cmdline" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null && pids+=("$pid")
    fi
    rm -f "$d/$name.pid"
  done
  local deadline=$((SECONDS + 15))
  for pid in "${pids[@]}"; do
    while running "$pid"; do
      if [ "$SECONDS" -ge "$deadline" ]; then kill -KILL "$pid" 2>/dev/null || true; fi
      sleep 0.2
    done
  done
}

case ${1:-} in
  build) build ;;
  start) [ $# -eq 2 ] || die "usage: $0 start DIR"; start "$2" ;;
  stop) [ $# -eq 2 ] || die "usage: $0 stop DIR"; stop "$(cd "$2" && pwd)" ;;
  *) die "usage: $0 build | start DIR | stop DIR" ;;
esac
