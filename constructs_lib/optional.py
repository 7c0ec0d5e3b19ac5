"""Optional per-app components: OptionalPdb and OptionalHpa."""

from __future__ import annotations

import cdk8s
import cdk8s_plus_28 as kplus
from constructs import Construct

from .bindings import BoundConstruct, Raw, Value, WithValue
from .labels import app_labels, selector_labels
from .model import App
from .naming import dashed
from .props import PropsError, snake

DEFAULT_MAX_UNAVAILABLE = 1
# Neither bound is in values.yaml unless the spec set one (Helm merges maps, so a
# default maxUnavailable would collide with a user's minAvailable).
PDB_BOUND_LINES = (
    "{{- $pdb := $app.podDisruptionBudget }}",
    '{{- if hasKey $pdb "minAvailable" }}',
    "minAvailable: {{ $pdb.minAvailable | toJson }}",
    '{{- else if hasKey $pdb "maxUnavailable" }}',
    "maxUnavailable: {{ $pdb.maxUnavailable | toJson }}",
    "{{- else }}",
    f"maxUnavailable: {DEFAULT_MAX_UNAVAILABLE}",
    "{{- end }}",
)
SCALE_DOWN = {
    "stabilizationWindowSeconds": 300,
    "policies": [{"type": "Percent", "value": 50, "periodSeconds": 60}],
}
HPA_TARGETS = (("cpu", "targetCPUUtilizationPercentage"), ("memory", "targetMemoryUtilizationPercentage"))


def _hpa_metrics_lines() -> tuple[str, ...]:
    lines = ["{{- $hpa := $app.autoscaling }}", "{{- if or " + " ".join(f"$hpa.{k}" for _, k in HPA_TARGETS) + " }}", "metrics:"]
    for resource, key in HPA_TARGETS:
        lines += [
            f"{{{{- with $hpa.{key} }}}}",
            "  - type: Resource",
            "    resource:",
            f'      name: "{resource}"',
            "      target:",
            "        type: Utilization",
            "        averageUtilization: {{ toJson . }}",
            "{{- end }}",
        ]
    return (*lines, "{{- end }}")


HPA_METRICS_LINES = _hpa_metrics_lines()


def target_app(construct: Construct, target, block: str, jobs_too: bool = False) -> App:
    """The app of the service this optional object belongs to; it must have the block."""
    app = getattr(target, "app", None)
    if not isinstance(app, App) or (app.is_job and not jobs_too):
        wanted = "a service construct" if jobs_too else "an ApiService or ProcessorService"
        raise PropsError(f"{construct.node.path}: target: expected {wanted}, got {type(target).__name__}")
    if block not in app.values:
        raise PropsError(f"{construct.node.path}: target: {app.key} was built without the {snake(block)} prop")
    return app


class OptionalPdb(BoundConstruct):
    """A PodDisruptionBudget for `target` (an ApiService or ProcessorService built with a
    `pod_disruption_budget` prop) that never blocks node drains (see rules.pdb_problem)."""

    def __init__(self, scope: Construct, id: str, *, target):
        super().__init__(scope, id)
        app, chart = target_app(self, target, "podDisruptionBudget"), target.chart
        pdb = app.values["podDisruptionBudget"]
        bound = next((k for k in ("minAvailable", "maxUnavailable") if k in pdb), None)
        spec = {
            "selector": {"matchLabels": selector_labels(app)},
            # Crash-looping pods never stall a drain.
            "unhealthyPodEvictionPolicy": "AlwaysAllow",
            bound or "maxUnavailable": pdb[bound] if bound else DEFAULT_MAX_UNAVAILABLE,
        }
        self.pdb = self.add_object(
            "pdb",
            "policy/v1",
            "PodDisruptionBudget",
            {"metadata": {"name": app.names.pdb, "labels": app_labels(chart, app)}, "spec": spec},
            template=f"{dashed(app.key)}-pdb.yaml",
            app_key=app.key,
            guard="and $app.enabled $app.podDisruptionBudget.enabled",
            bindings={("spec", bound or "maxUnavailable"): Raw(PDB_BOUND_LINES)},
        )


class OptionalHpa(BoundConstruct):
    """An autoscaling/v2 HorizontalPodAutoscaler on CPU and memory utilisation for `target`
    (an ApiService or ProcessorService built with an `autoscaling` prop)."""

    def __init__(self, scope: Construct, id: str, *, target):
        super().__init__(scope, id)
        app, chart = target_app(self, target, "autoscaling"), target.chart
        hpa = app.values["autoscaling"]
        spec: dict = {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": app.names.workload},
            "minReplicas": hpa["minReplicas"],
            "maxReplicas": hpa["maxReplicas"],
            "behavior": {"scaleDown": SCALE_DOWN},
        }
        metrics = [
            {"type": "Resource", "resource": {"name": resource, "target": {"type": "Utilization", "averageUtilization": hpa[key]}}}
            for resource, key in HPA_TARGETS
            if hpa.get(key)
        ]
        if metrics:
            spec["metrics"] = metrics
        self.hpa = self.add_object(
            "hpa",
            "autoscaling/v2",
            "HorizontalPodAutoscaler",
            {"metadata": {"name": app.names.hpa, "labels": app_labels(chart, app)}, "spec": spec},
            template=f"{dashed(app.key)}-hpa.yaml",
            app_key=app.key,
            guard="and $app.enabled $app.autoscaling.enabled",
            bindings={
                ("spec", "minReplicas"): Value("$app.autoscaling.minReplicas"),
                ("spec", "maxReplicas"): Value("$app.autoscaling.maxReplicas"),
                ("spec", "metrics"): Raw(HPA_METRICS_LINES),
            },
        )


class OptionalServiceAccount(BoundConstruct):
    """A ServiceAccount for `target` (any service construct built with
    `service_account=ServiceAccount(create=True, ...)`), named `name` or the app's object
    name, carrying the annotations cloud IAM reads (eks.amazonaws.com/role-arn, ...)."""

    def __init__(self, scope: Construct, id: str, *, target):
        super().__init__(scope, id)
        app, chart = target_app(self, target, "serviceAccount", jobs_too=True), target.chart
        account = app.values["serviceAccount"]
        name = account["name"] or app.names.workload
        self.service_account = kplus.ServiceAccount(
            self,
            "service-account",
            metadata=cdk8s.ApiObjectMetadata(name=name, labels=app_labels(chart, app), annotations=account["annotations"] or None),
            automount_token=account["automountToken"],
        )
        self.record(
            self.service_account,
            "ServiceAccount",
            name,
            template=f"{dashed(app.key)}-serviceaccount.yaml",
            app_key=app.key,
            guard="and $app.enabled $app.serviceAccount.create",
            bindings={
                ("metadata", "name"): Value(f'$app.serviceAccount.name | default "{app.names.workload}"'),
                ("metadata", "annotations"): WithValue("$app.serviceAccount.annotations"),
                ("automountServiceAccountToken",): Value("$app.serviceAccount.automountToken"),
            },
        )
