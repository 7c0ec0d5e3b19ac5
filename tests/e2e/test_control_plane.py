"""Smoke tests of the e2e control plane itself (not of any chart)."""

import subprocess
import uuid
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]


def test_serves_the_version_built(control_plane):
    assert control_plane.get("/version")["gitVersion"] == control_plane.version


def test_configmap_lifecycle_in_a_new_namespace(control_plane):
    ns = f"smoke-{uuid.uuid4().hex[:8]}"
    control_plane.create("/api/v1/namespaces", {"metadata": {"name": ns}})
    cms = f"/api/v1/namespaces/{ns}/configmaps"
    control_plane.create(cms, {"metadata": {"name": "cm"}, "data": {"key": "value"}})
    assert control_plane.get(f"{cms}/cm")["data"] == {"key": "value"}
    assert "cm" in {cm["metadata"]["name"] for cm in control_plane.list(cms)}

    control_plane.delete(f"{cms}/cm")
    assert not control_plane.exists(f"{cms}/cm")
    control_plane.delete(f"/api/v1/namespaces/{ns}")
    control_plane.wait_gone(f"/api/v1/namespaces/{ns}")


def test_fake_node_is_ready(control_plane):
    (node,) = control_plane.list("/api/v1/nodes")
    ready = {c["type"]: c["status"] for c in node["status"]["conditions"]}["Ready"]
    assert ready == "True"


CHART = {
    "Chart.yaml": "apiVersion: v2\nname: smoke\nversion: 0.1.0\nkubeVersion: '>=1.30.0-0'\n",
    "templates/deployment.yaml": """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}
spec:
  replicas: 2
  selector:
    matchLabels: {app: {{ .Release.Name }}}
  template:
    metadata:
      labels: {app: {{ .Release.Name }}}
    spec:
      containers:
        - name: app
          image: registry.invalid/app:1
""",
}


@pytest.mark.parametrize("helm", ["helm3", "helm4"])
def test_helm_install_wait_and_uninstall(control_plane, helm, tmp_path):
    binary = REPO / ".tools" / "bin" / helm
    if not binary.exists():
        pytest.skip(f"{binary} missing: run scripts/setup.sh --test")
    for name, text in CHART.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    ns, release = f"smoke-{helm}", "smoke"

    def run_helm(*args):
        cmd = [binary, "--kubeconfig", control_plane.kubeconfig, "--namespace", ns, *args]
        result = subprocess.run(cmd, capture_output=True, text=True)
        assert result.returncode == 0, result.stderr

    run_helm("install", release, tmp_path, "--create-namespace", "--wait", "--timeout", "60s")
    deployment = control_plane.get(f"/apis/apps/v1/namespaces/{ns}/deployments/{release}")
    assert deployment["status"].get("readyReplicas") == 2

    run_helm("uninstall", release, "--wait")
    assert control_plane.list(f"/apis/apps/v1/namespaces/{ns}/deployments") == []
    control_plane.delete(f"/api/v1/namespaces/{ns}")
    control_plane.wait_gone(f"/api/v1/namespaces/{ns}")
