"""DomainChart: one cdk8s Chart per spec chart, composed from the constructs."""

from __future__ import annotations

import dataclasses

import cdk8s
from constructs import Construct

from ..spec.model import TOGGLES, App, ChartModel
from ..spec.naming import API, CRONJOB, JOB, PROCESSOR
from ..spec.schema import ROUTE_KINDS
from .bindings import Bound, BoundConstruct, exact_api_object, recorded
from .gateway import DomainRoutes
from .gateway import routed_apps as routed_by
from .ingress import DomainIngress, routed_apps
from .monitoring import OptionalServiceMonitor
from .network_policy import OptionalNetworkPolicy
from .optional import OptionalHpa, OptionalPdb, OptionalServiceAccount, ServiceRef
from .props import props_from_values, vars_of
from .services import ApiService, CronJobService, JobService, ProcessorService

SERVICE_CONSTRUCTS = {API: ApiService, PROCESSOR: ProcessorService, JOB: JobService, CRONJOB: CronJobService}
# Optional per-app objects, by the values block whose `enabled` switches each on.
OPTIONAL_CONSTRUCTS = {
    "podDisruptionBudget": OptionalPdb,
    "autoscaling": OptionalHpa,
    "metrics": OptionalServiceMonitor,
    "serviceAccount": OptionalServiceAccount,
    "networkPolicy": OptionalNetworkPolicy,
}
# Per-app blocks whose `enabled` decides whether an object (or an Ingress or route rule) exists.
TOGGLED_BLOCKS = (*OPTIONAL_CONSTRUCTS, "ingress", "gateway")


def _optional_applies(key: str, app: App) -> bool:
    """ServiceMonitors scrape a Service, which only api apps have."""
    return key in app.values and (key != "metrics" or app.type == API)


class _BoundChart(cdk8s.Chart):
    def __init__(self, scope: Construct, id: str):
        super().__init__(scope, id, disable_resource_name_hashes=True)

    @property
    def bound(self) -> list[Bound]:
        return recorded(self.node.children)

    def add_service(self, model: ChartModel, app: App) -> BoundConstruct:
        """The app's workload (and Service), from the same props a Python user would pass."""
        props = props_from_values(app.type, "-".join((model.domain, model.key, app.key)), app.values, app.hook)
        return SERVICE_CONSTRUCTS[app.type](self, app.key, **vars_of(props))

    def add_optional(self, service: BoundConstruct, wanted) -> None:
        """The service's optional objects whose values block satisfies `wanted(key)`."""
        for key, construct in OPTIONAL_CONSTRUCTS.items():
            if _optional_applies(key, service.app) and wanted(key):
                construct(self, f"{service.app.key}-{key}", target=service)


def add_extra_objects(chart: cdk8s.Chart, objects: list[dict]) -> None:
    """The values' extraObjects into the synth, exactly as given (extra_objects.TEMPLATE renders them)."""
    for index, obj in enumerate(objects):
        body = {key: value for key, value in obj.items() if key not in ("apiVersion", "kind")}
        exact_api_object(chart, f"extra-object-{index}", obj["apiVersion"], obj["kind"], body)


class DomainChart(_BoundChart):
    """Every object of one chart, named exactly as the seed names them."""

    def __init__(self, scope: Construct, model: ChartModel):
        self.model = model  # before any child: constructs read the chart's context from it
        super().__init__(scope, model.name)
        for app in model.apps:
            if app.enabled:
                self.add_optional(self.add_service(model, app), app.feature_on)
        if model.ingress and model.ingress["enabled"] and routed_apps(model):
            DomainIngress(self, "ingress", chart=model)
        for kind in _synthesized_routes(model):
            DomainRoutes(self, kind.lower(), chart=model, kind=kind)
        add_extra_objects(self, model.values["extraObjects"])


class SwitchedOffChart(_BoundChart):
    """Only the objects that the chart's defaults switch off, built with their toggles on.

    They are absent from the synth, but the Helm chart still needs their (guarded)
    templates so that `--set ...enabled=true` can bring them back. Never synthesized
    as manifests.
    """

    def __init__(self, scope: Construct, model: ChartModel):
        super().__init__(scope, model.name)  # the same construct paths as the synth: kplus pod labels follow them
        forced = everything_enabled(model)
        self.model = forced
        for app, on in zip(model.apps, forced.apps, strict=True):
            service = ServiceRef(on, forced) if app.enabled else self.add_service(forced, on)  # enabled: in the synth already
            self.add_optional(service, lambda key, app=app: not (app.enabled and app.feature_on(key)))
        routable = any("ingress" in a.values for a in model.api_apps)  # no api app: no Ingress ever
        if routable and not (model.ingress["enabled"] and routed_apps(model)):
            DomainIngress(self, "ingress", chart=forced)
        if any("gateway" in a.values for a in model.api_apps):  # either kind may be switched on with --set
            for kind in (k for k in ROUTE_KINDS if k not in _synthesized_routes(model)):
                DomainRoutes(self, kind.lower(), chart=_routed_as(forced, kind), kind=kind)


def _synthesized_routes(model: ChartModel) -> list[str]:
    """The route kinds the synth has: the gateway is on and routes an app with that kind."""
    return [kind for kind in ROUTE_KINDS if model.gateway and model.gateway["enabled"] and routed_by(model, kind)]


def _routed_as(model: ChartModel, kind: str) -> ChartModel:
    """The model with every app's route of this kind (for the template of a route the synth lacks)."""
    apps = tuple(
        dataclasses.replace(a, values={**a.values, "gateway": {**a.values["gateway"], "kind": kind}}) if "gateway" in a.values else a
        for a in model.apps
    )
    return dataclasses.replace(model, apps=apps)


def switched_on(app: App) -> App:
    """The app with every toggle on."""
    values = {**app.values, "enabled": True}
    for key in TOGGLED_BLOCKS:
        if key in values:
            values[key] = {**values[key], TOGGLES.get(key, "enabled"): True}
    return dataclasses.replace(app, values=values)


def everything_enabled(model: ChartModel) -> ChartModel:
    """The model with every toggle on."""
    values = dict(model.values)
    if model.ingress:
        values["ingress"] = {**model.ingress, "enabled": True}
    if model.gateway:
        values["gateway"] = {**model.gateway, "enabled": True}
    return dataclasses.replace(model, apps=tuple(switched_on(a) for a in model.apps), values=values)
