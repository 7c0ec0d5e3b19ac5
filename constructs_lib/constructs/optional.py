"""Optional per-app components: OptionalPdb and OptionalHpa."""

from __future__ import annotations

from dataclasses import dataclass

import cdk8s
import cdk8s_plus_28 as kplus
from constructs import Construct

from ..spec.model import App, ChartContext
from ..spec.naming import dashed
from .bindings import BoundConstruct, Raw, Value, WithValue
from .labels import app_labels, selector_labels
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


@dataclass(frozen=True)
class ServiceRef:
    """What an optional object reads from its service: for a service built elsewhere
    (another chart, or the switched-on twin a Helm chart needs for its template)."""

    app: App
    chart: ChartContext


class OptionalObject(BoundConstruct):
    """An optional object of one service, switched on by the service's `BLOCK` values.

    While the block (or the app) is off, the construct makes no object, as the synth
    must not have it, and keeps `switched_off`: how to build it switched on, which a
    Helm chart needs for the template that `--set <block>.enabled=true` brings back.
    """

    BLOCK: str
    JOBS_TOO = False

    def __init__(self, scope: Construct, id: str, *, target, **options):
        super().__init__(scope, id)
        self.app = target_app(self, target, self.BLOCK, jobs_too=self.JOBS_TOO)
        self.target = target
        self.switched_off: dict | None = None if self.app.enabled and self.app.feature_on(self.BLOCK) else options
        if self.switched_off is None:
            self.build(self.app, target.chart, **options)

    def build(self, app: App, chart: ChartContext, **options) -> None:
        raise NotImplementedError


class OptionalPdb(OptionalObject):
    """A PodDisruptionBudget for `target` (an ApiService or ProcessorService built with a
    `pod_disruption_budget` prop) that never blocks node drains (see rules.pdb_problem)."""

    BLOCK = "podDisruptionBudget"

    def build(self, app: App, chart: ChartContext) -> None:
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


class OptionalHpa(OptionalObject):
    """An autoscaling/v2 HorizontalPodAutoscaler on CPU and memory utilisation for `target`
    (an ApiService or ProcessorService built with an `autoscaling` prop)."""

    BLOCK = "autoscaling"

    def build(self, app: App, chart: ChartContext) -> None:
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


class OptionalServiceAccount(OptionalObject):
    """A ServiceAccount for `target` (any service construct built with
    `service_account=ServiceAccount(create=True, ...)`), named `name` or the app's object
    name, carrying the annotations cloud IAM reads (eks.amazonaws.com/role-arn, ...)."""

    BLOCK = "serviceAccount"
    JOBS_TOO = True

    def build(self, app: App, chart: ChartContext) -> None:
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
