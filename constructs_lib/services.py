"""The three service types: ApiService, ProcessorService, JobService."""

from __future__ import annotations

from constructs import Construct

from .bindings import BoundConstruct, Guard, Value
from .gojson import go_json
from .labels import app_labels, selector_labels
from .model import App, ChartModel
from .naming import HASH_LEN, dashed, short_hash
from .policy import policy_annotations
from .workload import nested, pod_template

ENV_VARIABLE = {"env": "mergeOverwrite (dict) $global.env $app.env"}
# Inputs of a plain job's pod template; their hash names the Job, so a changed
# job is a new object (Jobs cannot be patched) and Helm prunes the old one.
JOB_HASH = "list $app $global.env | toJson | sha256sum | trunc 8"


def _metadata(chart: ChartModel, app: App, name: str, extra_annotations: dict | None = None) -> dict:
    metadata = {"name": name, "labels": app_labels(chart, app)}
    annotations = {**policy_annotations(app), **(extra_annotations or {})}
    if annotations:
        metadata["annotations"] = annotations
    return metadata


class _DeploymentService(BoundConstruct):
    """A Deployment running the app, with the shared secure pod template."""

    def __init__(self, scope: Construct, id: str, chart: ChartModel, app: App):
        super().__init__(scope, id)
        self.chart, self.app = chart, app
        values = app.values
        pod, pod_bindings = pod_template(chart, app)
        autoscaled = app.feature_on("autoscaling")
        spec: dict = {
            "revisionHistoryLimit": 5,
            "selector": {"matchLabels": selector_labels(app)},
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}},
            "template": pod,
        }
        if not autoscaled:  # the HPA owns the replica count while enabled
            spec["replicas"] = values["replicas"]
        replicas = Value("$app.replicas")
        bindings = {
            **nested(("spec", "template"), pod_bindings),
            ("spec", "replicas"): Guard("not $app.autoscaling.enabled", replicas) if "autoscaling" in values else replicas,
        }
        self.deployment = self.add_object(
            "deployment",
            "apps/v1",
            "Deployment",
            {"metadata": _metadata(chart, app, app.names.workload), "spec": spec},
            template=f"{dashed(app.key)}-deployment.yaml",
            app_key=app.key,
            guard="$app.enabled",
            bindings=bindings,
            variables=ENV_VARIABLE,
        )


class ApiService(_DeploymentService):
    """An HTTP API: Deployment + ClusterIP Service + health probes."""

    def __init__(self, scope: Construct, id: str, chart: ChartModel, app: App):
        super().__init__(scope, id, chart, app)
        ports = [{"name": "http", "port": app.values["port"], "targetPort": "http", "protocol": "TCP"}]
        bindings = {("spec", "ports", 0, "port"): Value("$app.port")}
        if "metrics" in app.values:
            ports.append({"name": "metrics", "port": app.values["metrics"]["port"], "targetPort": "metrics", "protocol": "TCP"})
            bindings[("spec", "ports", 1, "port")] = Value("$app.metrics.port")
        self.service = self.add_object(
            "service",
            "v1",
            "Service",
            {
                "metadata": _metadata(chart, app, app.names.service),
                "spec": {"type": "ClusterIP", "selector": selector_labels(app), "ports": ports},
            },
            template=f"{dashed(app.key)}-service.yaml",
            app_key=app.key,
            guard="$app.enabled",
            bindings=bindings,
        )


class ProcessorService(_DeploymentService):
    """A background processor: Deployment only; probes only when it declares a health path."""


class JobService(BoundConstruct):
    """A run-to-completion Job. Plain jobs get a name suffix from a hash of their
    inputs, so `helm upgrade` creates a new Job instead of patching an immutable one;
    hook jobs (pre-install, pre-upgrade, ...) keep one name and are recreated by Helm."""

    def __init__(self, scope: Construct, id: str, chart: ChartModel, app: App):
        super().__init__(scope, id)
        values = app.values
        pod, pod_bindings = pod_template(chart, app)
        hook_annotations = {}
        variables = dict(ENV_VARIABLE)
        bindings = nested(("spec", "template"), pod_bindings)
        if app.hook:
            name = app.names.workload
            hook_annotations = {
                "helm.sh/hook": app.hook,
                "helm.sh/hook-delete-policy": "before-hook-creation",
                "helm.sh/hook-weight": "0",
            }
        else:
            name = f"{app.names.job_base}-{job_hash(chart, app)}"
            variables["jobHash"] = JOB_HASH
            bindings[("metadata", "name")] = Value(f'printf "%s-%s" "{app.names.job_base}" $jobHash')
        spec = {
            key: values[key]
            for key in (
                "completions",
                "parallelism",
                "backoffLimit",
                "activeDeadlineSeconds",
                "ttlSecondsAfterFinished",
            )
        }
        bindings.update({("spec", key): Value(f"$app.{key}") for key in spec})
        spec["template"] = pod
        self.job = self.add_object(
            "job",
            "batch/v1",
            "Job",
            {"metadata": _metadata(chart, app, name, hook_annotations), "spec": spec},
            template=f"{dashed(app.key)}-job.yaml",
            app_key=app.key,
            guard="$app.enabled",
            bindings=bindings,
            variables=variables,
        )


def job_hash(chart: ChartModel, app: App) -> str:
    """The same hash the template computes with JOB_HASH."""
    return short_hash(go_json([app.values, chart.global_env]), HASH_LEN)
