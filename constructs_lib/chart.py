"""DomainChart: one cdk8s Chart per spec chart, composed from the constructs."""

from __future__ import annotations

import dataclasses

import cdk8s
from constructs import Construct

from .bindings import Bound, BoundConstruct
from .ingress import DomainIngress, routed_apps
from .model import App, ChartModel
from .monitoring import OptionalServiceMonitor
from .naming import API, JOB, PROCESSOR
from .optional import OptionalHpa, OptionalPdb
from .services import ApiService, JobService, ProcessorService

# Per-app blocks whose `enabled` decides whether an object (or Ingress path) exists.
TOGGLED_BLOCKS = ("podDisruptionBudget", "autoscaling", "ingress", "metrics")
SERVICE_CONSTRUCTS = {API: ApiService, PROCESSOR: ProcessorService, JOB: JobService}


class DomainChart(cdk8s.Chart):
    """Every object of one chart, named exactly as the seed names them."""

    def __init__(self, scope: Construct, model: ChartModel):
        super().__init__(scope, model.name, disable_resource_name_hashes=True)
        self.model = model
        for app in model.apps:
            if not app.enabled:
                continue
            SERVICE_CONSTRUCTS[app.type](self, app.key, model, app)
            if app.feature_on("podDisruptionBudget"):
                OptionalPdb(self, f"{app.key}-pdb", model, app)
            if app.feature_on("autoscaling"):
                OptionalHpa(self, f"{app.key}-hpa", model, app)
            if app.type == API and app.feature_on("metrics"):
                OptionalServiceMonitor(self, f"{app.key}-monitor", model, app)
        if model.ingress and model.ingress["enabled"] and routed_apps(model):
            DomainIngress(self, "ingress", model)

    @property
    def bound(self) -> list[Bound]:
        return [b for child in self.node.children if isinstance(child, BoundConstruct) for b in child.bound]


def everything_enabled(model: ChartModel) -> ChartModel:
    """The model with every toggle on, so templates exist for objects that defaults switch off."""

    def on(app: App) -> App:
        values = {**app.values, "enabled": True}
        for key in TOGGLED_BLOCKS:
            if key in values:
                values[key] = {**values[key], "enabled": True}
        return dataclasses.replace(app, values=values)

    values = dict(model.values)
    if model.ingress:
        values["ingress"] = {**model.ingress, "enabled": True}
    return dataclasses.replace(model, apps=tuple(on(a) for a in model.apps), values=values)


def needs_everything_enabled(model: ChartModel) -> bool:
    """True when some object is switched off by default (so the synth lacks its template)."""
    off = any(not app.enabled or any(key in app.values and not app.feature_on(key) for key in TOGGLED_BLOCKS) for app in model.apps)
    return off or bool(model.ingress and not model.ingress["enabled"])
