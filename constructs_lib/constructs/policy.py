"""Policy-scanner skips that the defaults justify, as checkov.io annotations.

Each skip carries its reason; the README lists them all.
"""

from __future__ import annotations

from ..spec.model import App

# Apply to every workload.
ALWAYS = {"CKV_K8S_43": "images are pinned by tag (the chart appVersion); digests are not part of the spec"}
# Apply to workloads of charts without the networkPolicy feature.
NO_NETWORK_POLICY = {
    "CKV2_K8S_6": "who may reach the app depends on the cluster ingress controller and CNI; turn on the networkPolicy feature or add one per cluster",
}
# Apply to workloads without an HTTP health endpoint (processors without healthPath, jobs).
NO_HEALTH_ENDPOINT = {
    "CKV_K8S_8": "no health endpoint declared (processor or job); set healthPath to get probes",
    "CKV_K8S_9": "no health endpoint declared (processor or job); set healthPath to get probes",
}


def policy_skips(app: App) -> dict[str, str]:
    return {
        **ALWAYS,
        **({} if "networkPolicy" in app.values else NO_NETWORK_POLICY),
        **({} if app.has_health else NO_HEALTH_ENDPOINT),
    }


def policy_annotations(app: App) -> dict[str, str]:
    """`checkov.io/skipN: CHECK=reason` annotations for this app's workload."""
    skips = sorted(policy_skips(app).items())
    return {f"checkov.io/skip{i}": f"{check}={reason}" for i, (check, reason) in enumerate(skips, 1)}
