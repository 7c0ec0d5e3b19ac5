"""Storefront: a team's own cdk8s app composing the Enhanced Helm Chart constructs with
cdk8s-plus objects and a plain ApiObject, synthesized by cdk8s and written as a Helm chart.

    python main.py          # or: npx cdk8s synth
    # manifests: dist/storefront.k8s.yaml (CDK8S_OUTDIR), chart: helm/charts/storefront/
"""

# ruff: noqa: I001 - constructs_lib is imported before cdk8s on purpose (see below)
import os
from pathlib import Path

# First: importing the library before cdk8s keeps jsii's Node-version banner off the output.
from constructs_lib import ApiService, Autoscaling, DisruptionBudget, HelmChart, OptionalHpa, OptionalPdb, ProcessorService

import cdk8s
import cdk8s_plus_28 as kplus

VERSION = "1.4.0"


def compose() -> tuple[cdk8s.App, HelmChart]:
    app = cdk8s.App()
    chart = cdk8s.Chart(app, "storefront", disable_resource_name_hashes=True)

    # cdk8s-plus objects, passed to our constructs as props.
    db = kplus.Secret.from_secret_name(chart, "db", "storefront-db")
    settings = kplus.ConfigMap(chart, "settings", metadata=cdk8s.ApiObjectMetadata(name="storefront-settings"), data={"LOG_LEVEL": "info"})
    web = ApiService(
        chart,
        "web",
        image=f"registry.example.com/storefront/web:{VERSION}",
        port=8080,
        health_path="/healthz",
        env={"DB_PASSWORD": kplus.EnvValue.from_secret_value(kplus.SecretValue(secret=db, key="password"))},
        env_from=[kplus.Env.from_config_map(settings)],
        autoscaling=Autoscaling(max_replicas=6),
        pod_disruption_budget=DisruptionBudget(),
    )
    OptionalHpa(chart, "web-hpa", target=web)
    OptionalPdb(chart, "web-pdb", target=web)
    worker = ProcessorService(
        chart,
        "worker",
        image=f"registry.example.com/storefront/worker:{VERSION}",
        autoscaling=Autoscaling(enabled=False),  # off; `--set storefront.apps.worker.autoscaling.enabled=true` adds the HPA
    )
    OptionalHpa(chart, "worker-hpa", target=worker)

    # kplus methods on what our constructs made.
    worker.deployment.containers[0].mount("/etc/storefront", kplus.Volume.from_config_map(chart, "settings-volume", settings))
    kplus.NetworkPolicy(
        chart,
        "web-from-worker",
        metadata=cdk8s.ApiObjectMetadata(name="storefront-web-from-worker"),
        selector=web.deployment,
        ingress=kplus.NetworkPolicyTraffic(rules=[kplus.NetworkPolicyRule(peer=worker.deployment)]),
    )

    # A foreign object: no construct of ours knows it.
    quota = cdk8s.ApiObject(chart, "quota", api_version="v1", kind="ResourceQuota", metadata=cdk8s.ApiObjectMetadata(name="storefront-quota"))
    quota.add_json_patch(cdk8s.JsonPatch.add("/spec", {"hard": {"pods": "40"}}))

    helm = HelmChart(app, name="storefront", version=VERSION, description="Storefront web and worker")
    helm.value(settings, "data.LOG_LEVEL", "logLevel", description="The apps' log level (the storefront-settings ConfigMap).")
    helm.value(quota, "spec.hard.pods", "quota.pods", description="Pods the namespace may run.")
    helm.enabled_by(quota, "quota.enabled")
    return app, helm


if __name__ == "__main__":
    app, helm = compose()
    app.synth()
    helm.write(Path(os.environ.get("CHART_OUTDIR", "helm")))
