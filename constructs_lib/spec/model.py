"""The typed model of a chart, read from its values (the single source of truth).

Every construct, values.yaml, values.schema.json and the README derive from the
same values dict, so they cannot disagree.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

from .defaults import GLOBAL_DEFAULTS
from .naming import API, CRONJOB, HASH_LEN, JOB, MAX_CRONJOB_NAME, MAX_NAME, resource_name
from .schema import AppShape

# The field of a values block that switches its object on, where it is not `enabled`.
TOGGLES = {"serviceAccount": "create"}


@dataclass(frozen=True)
class AppMeta:
    """What `release_app` recorded: informational, shown in the README."""

    language: str = ""
    description: str = ""
    binary_target: str = ""


@dataclass(frozen=True)
class AppNames:
    """Kubernetes names of an app's objects, fixed at generation time."""

    workload: str
    service: str
    pdb: str
    hpa: str
    monitor: str
    config: str
    netpol: str
    job_base: str  # plain jobs append `-<hash of pod template inputs>`


@dataclass(frozen=True)
class App:
    key: str  # as the user wrote it, e.g. experience_api
    shape: AppShape
    names: AppNames
    values: dict  # this app's values (values.yaml layout, defaults applied)
    meta: AppMeta = field(default_factory=AppMeta)
    hook: str = ""  # jobs only: helm.sh/hook value, e.g. "pre-install,pre-upgrade"
    type_reason: str = "type written"  # how the type was decided (naming.choose_type)

    @property
    def type(self) -> str:
        return self.shape.type

    @property
    def enabled(self) -> bool:
        return self.values["enabled"]

    @property
    def is_job(self) -> bool:
        """Its pods run to completion (a Job, or the Jobs of a CronJob)."""
        return self.shape.type in (JOB, CRONJOB)

    @property
    def has_health(self) -> bool:
        return "healthPath" in self.values

    @property
    def metrics_port_name(self) -> str:
        """The port Prometheus scrapes: `http` when metrics are served on the app port
        (prometheus-fastapi-instrumentator, django-prometheus), else the own `metrics` port."""
        shared = self.has_health and "metrics" in self.values and self.values["metrics"]["port"] == self.values["port"]
        return "http" if shared else "metrics"

    def feature_on(self, key: str) -> bool:
        """Whether an optional block (podDisruptionBudget, autoscaling, ingress, metrics,
        serviceAccount, networkPolicy) switches its object on."""
        block = self.values.get(key)
        return bool(block and block[TOGGLES.get(key, "enabled")])


@dataclass(frozen=True)
class ChartContext:
    """What a construct takes from the chart it is in: the chart's name (the
    `app.kubernetes.io/part-of` label), the settings of every app (`global` in
    values.yaml) and the chart's appVersion (the default image tag)."""

    name: str
    global_values: dict = field(default_factory=lambda: copy.deepcopy(GLOBAL_DEFAULTS))
    app_version: str | None = None

    @property
    def global_env(self) -> dict:
        return self.global_values["env"]


@dataclass(frozen=True)
class ChartModel:
    domain: str
    key: str  # chart key as written, e.g. production_chart
    name: str  # Helm chart name, e.g. manman-production-chart
    description: str
    version: str
    app_version: str
    apps: tuple[App, ...]
    values: dict  # the whole values.yaml
    schema: dict  # values.schema.json
    source: str  # the spec file, for messages
    composition: bool = False  # made by HelmChart from a cdk8s composition, not from a spec

    @property
    def generated_from(self) -> str:
        """What to change and regenerate, for people reading the chart."""
        return "its cdk8s composition" if self.composition else f"the {self.domain} spec"

    @property
    def api_apps(self) -> tuple[App, ...]:
        return tuple(a for a in self.apps if a.type == API)

    @property
    def ingress(self) -> dict | None:
        return self.values.get("ingress")

    @property
    def ingress_name(self) -> str:
        return resource_name(self.domain, self.key, suffix="-ingress")

    @property
    def gateway(self) -> dict | None:
        return self.values.get("gateway")

    def route_name(self, kind: str) -> str:
        """`{domain}-{chart}-route` (HTTPRoute) or `-grpcroute` (GRPCRoute)."""
        return resource_name(self.domain, self.key, suffix="-route" if kind == "HTTPRoute" else "-grpcroute")

    @property
    def global_values(self) -> dict:
        return self.values["global"]

    @property
    def global_env(self) -> dict:
        return self.values["global"]["env"]


def app_names(*parts: str, kind: str = API) -> AppNames:
    """Names of an app's objects from the parts of its base name (domain, chart, app)."""
    return AppNames(
        workload=resource_name(*parts, limit=MAX_CRONJOB_NAME if kind == CRONJOB else MAX_NAME),
        service=resource_name(*parts, suffix="-service"),
        pdb=resource_name(*parts, suffix="-pdb"),
        hpa=resource_name(*parts, suffix="-hpa"),
        monitor=resource_name(*parts, suffix="-monitor"),
        config=resource_name(*parts, suffix="-config"),
        netpol=resource_name(*parts, suffix="-netpol"),
        job_base=resource_name(*parts, limit=MAX_NAME - HASH_LEN - 1),
    )
