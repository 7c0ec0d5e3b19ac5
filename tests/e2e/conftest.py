"""A real Kubernetes control plane for end-to-end tests.

`control_plane` (session scope) builds the binaries if they are not cached yet
(`cluster.sh build`, normally already run by .ci/run), starts etcd,
kube-apiserver, kube-controller-manager, kube-scheduler and kwok (one fake
node: pods get scheduled and turn Ready, so `helm install --wait` works) in a
pytest temp dir, and stops them at the end of the session. If the plane cannot
be built or started, the tests that use it are skipped with the log tails, or
fail when the environment variable CI is set (in CI the plane must work).

The charts' CRDs are installed as their projects publish them (`create_crds`
with REAL_CRDS): prometheus-operator's own ServiceMonitor CRD, which
`scripts/setup.sh --test` puts in .tools/crds (not our trimmed imports/crds
copy, which would hide drift), so a chart's ServiceMonitor is accepted only if
the real schema accepts it.

While the plane runs, KUBECACHEDIR points at its directory, so kubectl and
Helm keep their discovery cache there (not in ~/.kube/cache, keyed by a port
a later session may reuse with other CRDs).

This directory is a package (`__init__.py`): otherwise pytest's default
"prepend" import mode imports this file as the top-level module `conftest`
and puts tests/e2e first on sys.path, and every `from conftest import ...` in
tests/ would get this file instead of tests/conftest.py.

Tests using it are marked `e2e`. Under pytest-xdist every worker starts its
own plane (~10 s, ~1 GiB each): run tests/e2e without -n, or group them.
"""

from __future__ import annotations

import json
import os
import re
import ssl
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
import yaml

HERE = Path(__file__).parent
CLUSTER_SH = HERE / "cluster.sh"
# The real CRDs (scripts/setup.sh --test links them from prometheus-operator's Go module).
REAL_CRDS = tuple(
    HERE.parent.parent / ".tools" / "crds" / name
    for name in (
        "monitoring.coreos.com_servicemonitors.yaml",
        "gateway.networking.k8s.io_httproutes.yaml",
        "gateway.networking.k8s.io_grpcroutes.yaml",
    )
)
# The version the binaries are built at (they report it at /version).
K8S_VERSION = re.search(r"^\s*(?:require\s+)?k8s\.io/kubernetes (v\S+)", (HERE / "kube" / "go.mod").read_text(), re.M).group(1)


class ApiError(Exception):
    """A non-2xx answer from the API server; `status` is the HTTP code."""

    def __init__(self, status: int, method: str, path: str, body: str):
        self.status = status
        try:
            message = json.loads(body).get("message", body)
        except ValueError:
            message = body
        super().__init__(f"{method} {path}: HTTP {status}: {message}")


class ControlPlane:
    """A running control plane: its kubeconfig and a minimal REST client that
    authenticates with the admin client certificate (group system:masters)."""

    def __init__(self, directory: Path):
        self.dir = directory
        self.kubeconfig = directory / "kubeconfig"
        self.server = (directory / "server").read_text().strip()
        self.version = K8S_VERSION
        self._tls = ssl.create_default_context(cafile=str(directory / "ca.crt"))
        self._tls.load_cert_chain(directory / "admin.crt", directory / "admin.key")
        self._resources: dict[str, dict[str, dict[str, Any]]] = {}

    def request(self, method: str, path: str, body: dict | None = None) -> dict[str, Any]:
        """`path` is an API path such as /api/v1/namespaces/ns/configmaps."""
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(
            self.server + path,
            data=data,
            method=method,
            headers={"Accept": "application/json", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(req, context=self._tls, timeout=30) as resp:
                return json.loads(resp.read() or b"{}")
        except urllib.error.HTTPError as err:
            raise ApiError(err.code, method, path, err.read().decode(errors="replace")) from None

    def get(self, path: str) -> dict[str, Any]:
        return self.request("GET", path)

    def list(self, path: str) -> list[dict[str, Any]]:
        """Items of a collection, e.g. /apis/apps/v1/namespaces/ns/deployments."""
        return self.get(path)["items"]

    def exists(self, path: str) -> bool:
        try:
            self.get(path)
        except ApiError as err:
            if err.status == 404:
                return False
            raise
        return True

    def create(self, path: str, obj: dict) -> dict[str, Any]:
        return self.request("POST", path, obj)

    def delete(self, path: str) -> dict[str, Any]:
        return self.request("DELETE", path)

    def resource(self, api_version: str, kind: str) -> dict[str, Any]:
        """The discovery entry (name, namespaced, verbs) of a kind, e.g.
        ("apps/v1", "Deployment"). Asks the server once per group version; a
        miss asks again (a CRD may have been added since)."""
        for fresh in (False, True):
            if fresh or api_version not in self._resources:
                prefix = "/api/" if "/" not in api_version else "/apis/"
                found = self.get(prefix + api_version)["resources"]
                self._resources[api_version] = {r["kind"]: r for r in found if "/" not in r["name"]}
            if kind in self._resources[api_version]:
                return self._resources[api_version][kind]
        raise KeyError(f"the server has no kind {kind} in {api_version}")

    def path(self, api_version: str, kind: str, namespace: str | None = None, name: str | None = None) -> str:
        """The REST path of a kind's collection (in `namespace` if it is
        namespaced) or, with `name`, of one object."""
        resource = self.resource(api_version, kind)
        parts = ["/api" if "/" not in api_version else "/apis", api_version]
        if resource["namespaced"] and namespace:
            parts += ["namespaces", namespace]
        parts.append(resource["name"])
        if name:
            parts.append(name)
        return "/".join(parts)

    def wait_gone(self, path: str, timeout: float = 60) -> None:
        """Waits until `path` is 404, e.g. a namespace being finalized."""
        deadline = time.monotonic() + timeout
        while self.exists(path):
            if time.monotonic() > deadline:
                raise TimeoutError(f"{path} still exists after {timeout}s")
            time.sleep(0.5)


def _tail(text: str, lines: int = 30) -> str:
    return "\n".join(text.splitlines()[-lines:])


def _log_tails(directory: Path) -> str:
    return "\n".join(f"--- {log.name}\n{_tail(log.read_text(errors='replace'), 15)}" for log in sorted(directory.glob("*.log")))


def _unavailable(message: str) -> None:
    """No plane: fail in CI (where it must work), skip elsewhere."""
    if os.environ.get("CI"):
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def create_crds(plane: ControlPlane, files) -> None:
    """Creates the CRDs in `files` with a plain POST (no kubectl apply, which
    would copy the 70 KB CRD into an annotation; one that exists is left as it
    is) and waits until each serves its objects."""
    path = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
    for file in files:
        for crd in yaml.safe_load_all(Path(file).read_text()):
            if not crd:
                continue
            try:
                plane.create(path, crd)
            except ApiError as err:
                if err.status != 409:
                    raise
            # 404 until Established, then 429 "storage is (re)initializing"
            # for a moment: wait until its objects list.
            spec = crd["spec"]
            version = next(v["name"] for v in spec["versions"] if v.get("storage"))
            objects = f"/apis/{spec['group']}/{version}/{spec['names']['plural']}"
            deadline = time.monotonic() + 30
            while True:
                try:
                    plane.list(objects)
                    break
                except ApiError as err:
                    if err.status not in (404, 429) or time.monotonic() > deadline:
                        raise
                time.sleep(0.2)


@pytest.fixture(scope="session")
def control_plane(tmp_path_factory: pytest.TempPathFactory):
    build = subprocess.run(["bash", CLUSTER_SH, "build"], capture_output=True, text=True)
    if build.returncode != 0:
        _unavailable(f"control plane binaries could not be built:\n{_tail(build.stderr)}")
    directory = tmp_path_factory.mktemp("control-plane")
    start = subprocess.run(["bash", CLUSTER_SH, "start", directory], capture_output=True, text=True)
    try:
        if start.returncode != 0:
            _unavailable(f"control plane could not start:\n{_tail(start.stderr)}\n{_log_tails(directory)}")
        with pytest.MonkeyPatch.context() as env:
            env.setenv("KUBECACHEDIR", str(directory / "kube-cache"))
            yield ControlPlane(directory)
    finally:
        subprocess.run(["bash", CLUSTER_SH, "stop", directory], check=False)
