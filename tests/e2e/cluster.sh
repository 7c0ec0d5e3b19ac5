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

# Runs FN TMPDIR in a temp dir beside TARGET, then renames it into place, so
# an interrupted build never leaves a half-filled cache entry behind.
build_into() { # target fn
  local tmp
  tmp=$(mktemp -d "$1.tmp.XXXXXX")
  # shellcheck disable=SC2064 # expand now: tmp is local
  trap "rm -rf '$tmp'" EXIT
  "$2" "$tmp"
  chmod 755 "$tmp"
  rm -rf "$1"
  mv -T "$tmp" "$1"
  trap - EXIT
}

build_plane() { # out
  (cd "$HERE/etcd" && go build -ldflags "-s -w" -o "$1/bin/etcd" .)
  # Without -X the binaries report v0.0.0-master; clients (Helm's
  # kubeVersion checks) need the real version. One go build for all three
  # shares the compile work.
  local minor
  minor=$(cut -d. -f2 <<<"$K8S_VERSION")
  (cd "$HERE/kube" && go build -o "$1/bin/" -ldflags "-s -w \
      -X k8s.io/component-base/version.gitVersion=$K8S_VERSION \
      -X k8s.io/component-base/version.gitMajor=1 \
      -X k8s.io/component-base/version.gitMinor=$minor \
      -X k8s.io/component-base/version.gitTreeState=clean" \
    k8s.io/kubernetes/cmd/kube-apiserver \
    k8s.io/kubernetes/cmd/kube-controller-manager \
    k8s.io/kubernetes/cmd/kube-scheduler)
}

build_kwok() { # out
  GOBIN=$1 go install -ldflags "-s -w" "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION"
  # kwok has no built-in behaviour: these are kwokctl's default "fast"
  # stages (nodes Ready with leases, pods Running/Ready at once).
  local stages f
  stages=$(go env GOMODCACHE)/sigs.k8s.io/kwok@$KWOK_VERSION/kustomize/stage
  for f in node/fast/node-initialize node/heartbeat-with-lease/node-heartbeat-with-lease \
           pod/fast/pod-ready pod/fast/pod-complete pod/fast/pod-delete; do
    echo "---"; cat "$stages/$f.yaml"
  done >"$1/stages.yaml"
}

build() {
  mkdir -p "$CACHE"
  if ! have_all "$BIN" "${PLANE_BINARIES[@]}"; then
    log "building control plane $K8S_VERSION, etcd $ETCD_VERSION (first time only)"
    build_into "$PLANE_DIR" build_plane
  fi
  if ! have_all "$KWOK_DIR" kwok stages.yaml; then
    log "building kwok $KWOK_VERSION (first time only)"
    build_into "$KWOK_DIR" build_kwok
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

# A zombie (our own unreaped child when start fails) has stopped too.
running() { grep -q '^State:[[:space:]]*[^Z[:space:]]' "/proc/$1/status" 2>/dev/null; }

alive() { # dir: every launched process still runs
  local f
  for f in "$1"/*.pid; do running "$(cat "$f")" || { log "$(basename "$f" .pid) exited"; return 1; }; done
}

wait_for() { # dir seconds description command...: gives up early if a process died
  local d=$1 deadline=$((SECONDS + $2)) what=$3; shift 3
  until "$@" >/dev/null 2>&1; do
    alive "$d" || return 1
    [ "$SECONDS" -lt "$deadline" ] || { log "timed out waiting for $what"; return 1; }
    sleep 0.5
  done
}

ns_gone() { [ "$(api "$1" GET "/api/v1/namespaces/$2" -o /dev/null -w '%{http_code}' 2>/dev/null)" = 404 ]; }

start() { # dir
  local d
  mkdir -p "$1" && d=$(cd "$1" && pwd)
  if ls "$d"/*.pid >/dev/null 2>&1; then die "$d already has a running plane; stop it first"; fi
  if ! have_all "$BIN" "${PLANE_BINARIES[@]}" || ! have_all "$KWOK_DIR" kwok stages.yaml; then
    die "binaries missing: run '$0 build' first"
  fi
  local t0=$SECONDS ports
  ports=$(free_ports 3)
  certs "$d"
  kubeconfig "$d" "${ports##* }"
  echo "https://127.0.0.1:${ports##* }" >"$d/server"
  # shellcheck disable=SC2086 # three port numbers
  if ! up "$d" $ports; then
    stop "$d"
    die "control plane failed to start; logs: $d/*.log"
  fi
  log "control plane $K8S_VERSION ready in $((SECONDS - t0))s: $(cat "$d/server"), kubeconfig $d/kubeconfig"
}

# Launches the processes and waits until they work. Called in a condition,
# where set -e does not apply: every step checks its own status.
up() { # dir etcd-port etcd-peer-port apiserver-port
  local d=$1 etcd_port=$2 peer_port=$3 api_port=$4

  # --unsafe-no-fsync: throw-away data; fsyncs only slow the tests down.
  launch "$d" etcd "$BIN/etcd" --name e2e --data-dir "$d/etcd-data" \
    --listen-client-urls "http://127.0.0.1:$etcd_port" --advertise-client-urls "http://127.0.0.1:$etcd_port" \
    --listen-peer-urls "http://127.0.0.1:$peer_port" --initial-advertise-peer-urls "http://127.0.0.1:$peer_port" \
    --initial-cluster "e2e=http://127.0.0.1:$peer_port" --unsafe-no-fsync
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
  wait_for "$d" 90 "kube-apiserver /readyz" api "$d" GET /readyz || return 1
  # Ready will need a namespace deletion to complete; the namespace controller
  # always waits 5 s before acting, so start that clock right away.
  api "$d" POST /api/v1/namespaces -H 'Content-Type: application/json' -o /dev/null \
    -d '{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "e2e-probe"}}' || return 1
  api "$d" DELETE /api/v1/namespaces/e2e-probe -o /dev/null || return 1

  # Secure port 0: these need no HTTPS endpoint here, so they listen nowhere.
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
  # kwok keeps this node Ready and fakes every pod bound to it as Running.
  api "$d" POST /api/v1/nodes -H 'Content-Type: application/json' -o /dev/null -d '{
    "apiVersion": "v1", "kind": "Node",
    "metadata": {"name": "kwok-node-0", "annotations": {"kwok.x-k8s.io/node": "fake"},
                 "labels": {"kubernetes.io/hostname": "kwok-node-0", "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64"}},
    "status": {"allocatable": {"cpu": "32", "memory": "256Gi", "pods": "110"},
               "capacity": {"cpu": "32", "memory": "256Gi", "pods": "110"}}}' || return 1

  # Ready means: the default ServiceAccount exists (serviceaccount controller
  # runs) and a namespace deletion completes (namespace controller runs).
  wait_for "$d" 60 "default ServiceAccount" api "$d" GET /api/v1/namespaces/default/serviceaccounts/default || return 1
  wait_for "$d" 60 "namespace deletion" ns_gone "$d" e2e-probe || return 1
  alive "$d"
}

# One at a time in COMPONENTS order: an apiserver whose etcd is already gone
# takes much longer to shut down.
stop() { # dir
  local d=$1 name pid deadline
  for name in "${COMPONENTS[@]}"; do
    [ -f "$d/$name.pid" ] || continue
    pid=$(cat "$d/$name.pid")
    # Only signal a PID that is still ours (its command line names DIR).
    if grep -qF "$d" "/proc/$pid/cmdline" 2>/dev/null && kill -TERM "$pid" 2>/dev/null; then
      deadline=$((SECONDS + 10))
      while running "$pid"; do
        if [ "$SECONDS" -ge "$deadline" ]; then kill -KILL "$pid" 2>/dev/null || true; fi
        sleep 0.1
      done
    fi
    rm -f "$d/$name.pid"
  done
}

case ${1:-} in
  build) build ;;
  start) [ $# -eq 2 ] || die "usage: $0 start DIR"; start "$2" ;;
  stop) [ $# -eq 2 ] || die "usage: $0 stop DIR"; stop "$(cd "$2" && pwd)" ;;
  *) die "usage: $0 build | start DIR | stop DIR" ;;
esac
