"""The outside-user example's chart (examples/cdk8s-app, made by HelmChart) on a real API
server with Helm 3 and 4: install with --wait, every rendered object live as rendered
(kplus's NetworkPolicy and the foreign ResourceQuota included), an upgrade that flips
its bound knobs and switches, then uninstall.
"""

from __future__ import annotations

import pytest
from conftest import HELMS, render, run_helm, tool

from .conftest import ControlPlane
from .test_charts import RELEASE, WAIT, api_warnings, key, mismatches, of_release, short

pytestmark = pytest.mark.e2e

CHART = "storefront-1.4.0.tgz"
# Kinds the storefront chart renders, with their API versions (a render with others fails).
KINDS = {
    "Deployment": "apps/v1",
    "Service": "v1",
    "HorizontalPodAutoscaler": "autoscaling/v2",
    "PodDisruptionBudget": "policy/v1",
    "ConfigMap": "v1",
    "NetworkPolicy": "networking.k8s.io/v1",
    "ResourceQuota": "v1",
}
UPGRADE = ("--set", "logLevel=debug", "--set", "quota.enabled=false", "--set", "storefront.apps.worker.autoscaling.enabled=true")


def live(plane: ControlPlane, namespace: str) -> dict[tuple[str, str], dict]:
    out = {}
    for kind, api_version in KINDS.items():
        for obj in plane.list(plane.path(api_version, kind, namespace)):
            if of_release(obj):
                out[(kind, obj["metadata"]["name"])] = {**obj, "apiVersion": api_version, "kind": kind}  # a list leaves them out
    return out


def assert_live_as_rendered(plane: ControlPlane, namespace: str, rendered: list[dict]) -> dict:
    assert {o["kind"] for o in rendered} <= KINDS.keys()
    objects = live(plane, namespace)
    assert sorted(objects) == sorted(map(key, rendered))
    problems = [f"{key(o)}{m}" for o in rendered for m in mismatches(o, objects[key(o)])]
    assert not problems, "\n".join(problems)
    return objects


@pytest.mark.parametrize("helm_name", HELMS, ids=short)
def test_the_composition_chart_lives_through_install_upgrade_and_uninstall(control_plane, storefront, helm_name):
    helm, namespace = tool(helm_name), f"e2e-{short(helm_name)}-storefront"
    package = storefront / "packages" / CHART
    control_plane.create("/api/v1/namespaces", {"metadata": {"name": namespace}})
    # What the composition refers to and does not create: the database Secret (kplus.Secret.from_secret_name).
    control_plane.create(f"/api/v1/namespaces/{namespace}/secrets", {"metadata": {"name": "storefront-db"}, "stringData": {"password": "e2e"}})
    cluster = ("--kubeconfig", control_plane.kubeconfig, "--namespace", namespace)
    try:
        result = run_helm(helm, "install", RELEASE, package, *cluster, *WAIT)
        assert not api_warnings(result.stderr), result.stderr
        installed = assert_live_as_rendered(control_plane, namespace, render(helm, package, namespace=namespace))
        assert ("ResourceQuota", "storefront-quota") in installed and ("HorizontalPodAutoscaler", "worker-hpa") not in installed
        assert installed[("Deployment", "web")]["status"].get("readyReplicas", 0) >= 2

        result = run_helm(helm, "upgrade", RELEASE, package, *cluster, *WAIT, *UPGRADE)
        assert not api_warnings(result.stderr), result.stderr
        upgraded = assert_live_as_rendered(control_plane, namespace, render(helm, package, *UPGRADE, namespace=namespace))
        assert upgraded[("ConfigMap", "storefront-settings")]["data"] == {"LOG_LEVEL": "debug"}
        assert ("ResourceQuota", "storefront-quota") not in upgraded  # pruned by the upgrade
        assert upgraded[("HorizontalPodAutoscaler", "worker-hpa")]["spec"]["scaleTargetRef"]["name"] == "worker"

        run_helm(helm, "uninstall", RELEASE, *cluster, "--wait")
        assert live(control_plane, namespace) == {}
    finally:
        control_plane.delete(f"/api/v1/namespaces/{namespace}")
