"""`main.py import SOURCE --domain D --chart C [-o spec.yaml]`: a draft spec from existing manifests.

Deployments and Jobs become apps; the Service, PodDisruptionBudget, HPA and
ServiceMonitor of each, and one Ingress, become their settings. The draft holds
only what differs from the generator's defaults. Where the source leaves a field
to Kubernetes and the spec can say the same (replicas 1, imagePullPolicy
IfNotPresent, backoffLimit 6), the draft says it, so the workload keeps behaving
as before.

Nothing is dropped silently: the draft is generated and compared with the
source, object by object, and every source field the generated objects do not
carry is reported as `<kind>/<name>: <what> not mapped`. Names, selectors and
the labels the generator owns change by design and are not reported.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import cdk8s

from ..constructs.chart import DomainChart
from ..constructs.labels import APP_KEY_LABEL
from ..constructs.network_policy import DNS, PART_OF, PEER_PORTS, port_rule
from ..constructs.optional import DEFAULT_MAX_UNAVAILABLE
from ..constructs.pod_bindings import CONFIG_CHECKSUM
from ..constructs.workload import CONFIG_VOLUME, CONTAINER, TMP_VOLUME, zone_spread
from ..helm.helm_chart import dump_yaml
from ..manifests import (
    Noise,
    add_render_options,
    is_chart,
    load_objects,
    normalize,
    quantity_strings,
    render_options,
    show,
)
from ..pipeline import by_kind_and_name
from ..spec import extra_objects
from ..spec.defaults import GATEWAY_DEFAULTS, NETWORK_POLICY_DEFAULTS
from ..spec.errors import SpecError
from ..spec.model import App, ChartModel
from ..spec.naming import API, CRONJOB, IDENTIFIER, JOB, PROCESSOR, chart_name, dashed, detect_type
from ..spec.parse import DEFAULT_REGISTRY, DEFAULT_VERSION, HOOKS, IMAGE_TAG, parse_spec
from ..spec.rules import OWN_POD_LABELS, pdb_problem
from ..spec.schema import (
    CONFIG_KEY,
    CONTAINER_OWNED,
    CRON_SCHEDULE,
    GATEWAY_SCHEMA,
    GLOBAL_SCHEMA,
    HTTP_ROUTE,
    INGRESS_SCHEMA,
    POD_SPEC_OWNED,
    ROUTE_KINDS,
    app_schema,
    k8s_definitions,
    string_map,
)
from ..spec.validate import check, resolve
from .diff import ABSENT, compare, format_path, same_value

DRAFT = "<draft spec>"
PROBES = ("readinessProbe", "livenessProbe", "startupProbe")
# Job fields and what Kubernetes does when they are absent (None: no equivalent the spec can say).
JOB_FIELDS = {"completions": 1, "parallelism": 1, "backoffLimit": 6, "activeDeadlineSeconds": None, "ttlSecondsAfterFinished": None}
CRONJOB_FIELDS = {
    "timeZone": "",
    "concurrencyPolicy": "Allow",
    "startingDeadlineSeconds": None,
    "successfulJobsHistoryLimit": 3,
    "failedJobsHistoryLimit": 1,
    "suspend": False,
}
WORKLOAD_TYPES = {"Deployment": PROCESSOR, "Job": JOB, "CronJob": CRONJOB}  # a Deployment with a Service is an api
RUNS = (JOB, CRONJOB)
REGISTRY = re.compile(r"^[a-z0-9]([-a-z0-9._:/]*[a-z0-9])?$")
# Labels the generated objects set themselves (the release labels are noise already).
OWNED_LABELS = ("app.kubernetes.io/name", "app.kubernetes.io/component", "app.kubernetes.io/part-of", APP_KEY_LABEL)
HEADER = """\
# Draft spec imported from {source} by `main.py import`.
# Read it with the warnings the import printed (what the spec cannot express),
# then compare the charts: main.py diff OLD_CHART NEW_CHART --match-renamed
"""


class _Drop:
    """Marks a value left out of the draft (refused by the schema, or equal to the default)."""


DROP = _Drop()


def dig(node, *keys, default=None):
    """node[k1][k2]...; `default` when a step is missing, null or not a mapping (sources may be odd)."""
    for key in keys:
        if not isinstance(node, dict) or node.get(key) is None:
            return default
        node = node[key]
    return node


def _map(node, *keys) -> dict:
    found = dig(node, *keys)
    return found if isinstance(found, dict) else {}


def _items(node, *keys) -> list[dict]:
    found = dig(node, *keys)
    return [i for i in found if isinstance(i, dict)] if isinstance(found, list) else []


def _texts(*values) -> bool:
    return all(isinstance(v, str) for v in values)


@dataclass
class Workload:
    """An app to be: a Deployment or Job and the objects that serve it."""

    obj: dict
    key: str
    type: str
    service: dict | None = None
    pdb: dict | None = None
    hpa: dict | None = None
    monitor: dict | None = None
    route: dict | None = None  # its path item on the chart's Ingress
    gateway_rule: tuple[str, dict] | None = None  # (HTTPRoute or GRPCRoute, its rule) on the chart's routes
    config_map: dict | None = None  # the ConfigMap of its `config` volume (configFiles)
    service_account: dict | None = None  # the ServiceAccount its pods run as, when the source has it
    network_policy: dict | None = None  # a NetworkPolicy selecting its pods by matchLabels alone

    @property
    def name(self) -> str:
        return self.obj["metadata"]["name"]

    @property
    def pod(self) -> dict:
        return _map(self.job_spec, "template")

    @property
    def job_spec(self) -> dict:
        """The spec holding the pod template: a CronJob's jobTemplate spec, else the object's."""
        return _map(self.obj, "spec", "jobTemplate", "spec") if self.type == CRONJOB else _map(self.obj, "spec")

    @property
    def container(self) -> dict:
        containers = _items(self.pod, "spec", "containers") or [{}]
        return next((c for c in containers if c.get("name") == CONTAINER), containers[0])

    @property
    def health_path(self) -> str | None:
        return next((p["httpGet"]["path"] for p in self._http_probes()), None)

    def _http_probes(self) -> list[dict]:
        return [p for p in (_map(self.container, name) for name in PROBES) if isinstance(dig(p, "httpGet", "path"), str)]

    @property
    def metrics_port(self) -> int | None:
        """The `metrics` container port, else the port the prometheus.io annotations scrape
        when the container has it (metrics served on the app port)."""
        if self.type in RUNS:
            return None
        annotations = _map(self.pod, "metadata", "annotations")
        scraped = annotations.get("prometheus.io/port") if annotations.get("prometheus.io/scrape") == "true" else None
        numbers = [p.get("containerPort") for p in _items(self.container, "ports")]
        on_a_port = isinstance(scraped, str) and scraped.isdigit() and int(scraped) in numbers
        return self.container_port("metrics") or (int(scraped) if on_a_port else None)

    @property
    def metrics_path(self) -> str | None:
        """Where Prometheus scrapes: the ServiceMonitor's endpoint, else the pod's prometheus.io/path."""
        endpoints = _items(self.monitor, "spec", "endpoints") or [{}]
        return endpoints[0].get("path") or _map(self.pod, "metadata", "annotations").get("prometheus.io/path")

    def container_port(self, target) -> int | None:
        """A container port by number or by name; None when the container has no such port."""
        if isinstance(target, int):
            return target
        return next((p.get("containerPort") for p in _items(self.container, "ports") if p.get("name") == target), None)

    def app_port(self) -> int | None:
        """The port clients reach: the Service's target, else the probes', else `http`, else the first."""
        ports = _items(self.service, "spec", "ports")
        first = next((p for p in ports if p.get("name") == "http"), ports[0] if ports else {})
        candidates = [first.get("targetPort", first.get("port")), *(dig(p, "httpGet", "port") for p in self._http_probes()), "http"]
        found = next((port for port in map(self.container_port, candidates) if port), None)
        container_ports = _items(self.container, "ports")
        return found or (container_ports[0].get("containerPort") if container_ports else None)


@dataclass(frozen=True)
class Draft:
    spec: dict
    workloads: list[Workload]
    ingress: dict | None
    routes: list[dict]  # the HTTPRoute and GRPCRoute taken as the chart's gateway routes
    notes: list[str]  # warnings found while drafting (the comparison adds the rest)
    extra_objects: list[dict] = field(default_factory=list)  # source objects carried as extraObjects


def find_workloads(objects: list[dict], domain: str, chart: str) -> list[Workload]:
    """Deployments and Jobs with their app keys and types, and the objects that belong to each."""
    workloads: list[Workload] = []
    prefix = chart_name(domain, chart) + "-"
    for obj in objects:
        if obj["kind"] in WORKLOAD_TYPES:
            key = _unique(app_key(obj, prefix), {w.key for w in workloads})
            workloads.append(Workload(obj, key, WORKLOAD_TYPES[obj["kind"]]))
    claimed: set[int] = set()
    for w in workloads:
        pod_spec = _map(w.pod, "spec")
        config = next((v for v in _items(pod_spec, "volumes") if v.get("name") == CONFIG_VOLUME), {})
        config_name = dig(config, "configMap", "name")
        w.config_map = _claim(objects, "ConfigMap", claimed, lambda o, n=config_name: o["metadata"]["name"] == n)
        account = pod_spec.get("serviceAccountName")
        w.service_account = _claim(objects, "ServiceAccount", claimed, lambda o, n=account: o["metadata"]["name"] == n)
        labels = _map(w.pod, "metadata", "labels")
        w.network_policy = _claim(objects, "NetworkPolicy", claimed, lambda o, labels=labels: _selects_pods(o, labels))
        if w.type in RUNS:
            continue
        labels = _map(w.pod, "metadata", "labels")
        w.service = _claim(objects, "Service", claimed, lambda o, labels=labels: _selects(dig(o, "spec", "selector"), labels))
        w.pdb = _claim(objects, "PodDisruptionBudget", claimed, lambda o, labels=labels: _selects_labels(o, labels))
        w.hpa = _claim(objects, "HorizontalPodAutoscaler", claimed, lambda o, w=w: _scales(o, w.name))
        if w.service:
            w.type = API
            labels = _map(w.service, "metadata", "labels")
            w.monitor = _claim(objects, "ServiceMonitor", claimed, lambda o, labels=labels: _selects_labels(o, labels))
    return workloads


def app_key(obj: dict, prefix: str) -> str:
    """The generator's app label, else the name minus `<domain>-<chart>-`, underscores for dashes."""
    label = _map(obj, "metadata", "labels").get(APP_KEY_LABEL)
    if isinstance(label, str) and IDENTIFIER.match(label):
        return label
    key = re.sub(r"[^A-Za-z0-9]+", "_", obj["metadata"]["name"].removeprefix(prefix)).strip("_")
    key = key if key[:1].isalpha() else f"app_{key}"
    return key[:63].rstrip("_")


def _unique(key: str, taken: set[str]) -> str:
    number, candidate = 2, key
    while candidate in taken:
        candidate, number = f"{key[:60]}_{number}", number + 1
    return candidate


def _claim(objects: list[dict], kind: str, claimed: set[int], matches) -> dict | None:
    """The first unclaimed object of this kind that matches; each object serves one app."""
    for obj in objects:
        if obj["kind"] == kind and id(obj) not in claimed and matches(obj):
            claimed.add(id(obj))
            return obj
    return None


def _selects(selector, labels: dict) -> bool:
    return isinstance(selector, dict) and bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def _selects_pods(netpol: dict, labels: dict) -> bool:
    selector = _map(netpol, "spec", "podSelector")
    return not selector.get("matchExpressions") and _selects(selector.get("matchLabels"), labels)


def _selects_labels(obj: dict, labels: dict) -> bool:
    """A PodDisruptionBudget or ServiceMonitor whose matchLabels (and nothing else) select these labels."""
    selector = _map(obj, "spec", "selector")
    return not selector.get("matchExpressions") and _selects(selector.get("matchLabels"), labels)


def _scales(hpa: dict, deployment: str) -> bool:
    target = _map(hpa, "spec", "scaleTargetRef")
    return target.get("kind") == "Deployment" and target.get("name") == deployment


def find_ingress(objects: list[dict], workloads: list[Workload]) -> dict | None:
    """The first Ingress routing to an app's Service; each app's path comes from its first rule."""
    services = {w.service["metadata"]["name"]: w for w in workloads if w.service}
    for obj in objects:
        if obj["kind"] != "Ingress":
            continue
        rules = _items(obj, "spec", "rules") or [{}]
        for path in _items(rules[0], "http", "paths"):
            service = dig(path, "backend", "service", "name")
            w = services.get(service) if _texts(service) else None
            if w and not w.route:
                w.route = path
        if any(w.route for w in workloads):
            return obj
    return None


def find_routes(objects: list[dict], workloads: list[Workload]) -> list[dict]:
    """The first HTTPRoute and GRPCRoute sending to an app's Service; each app's rule is the
    first whose first backend is its Service."""
    services = {w.service["metadata"]["name"]: w for w in workloads if w.service}
    found = []
    for kind in ROUTE_KINDS:
        for obj in (o for o in objects if o["kind"] == kind and o["apiVersion"] == "gateway.networking.k8s.io/v1"):
            taken = False
            for rule in _items(obj, "spec", "rules"):
                backend = (_items(rule, "backendRefs") or [{}])[0]
                w = services.get(backend.get("name")) if _texts(backend.get("name")) else None
                if w and not w.gateway_rule:
                    w.gateway_rule, taken = (kind, rule), True
            if taken:
                found.append(obj)
                break
    return found


def _gateway_settings(w: Workload) -> dict:
    """An app's `gateway` block from its rule (HTTPRoute: the first path match; GRPCRoute: the first method match)."""
    if not w.gateway_rule:
        return {"enabled": False}
    kind, rule = w.gateway_rule
    out: dict = {"kind": kind}
    port = (_items(rule, "backendRefs") or [{}])[0].get("port")
    if port is not None and port != w.app_port():
        out["port"] = port
    match = (_items(rule, "matches") or [{}])[0]
    if kind == HTTP_ROUTE:
        path = _map(match, "path")
        out.update(path=path.get("value", "/"), pathType=path.get("type", "PathPrefix"))
    else:
        out.update({k: v for k, v in _map(match, "method").items() if k in ("service", "method")})
    return out


def _gateway_values(route: dict) -> dict:
    """custom_values (dotted paths) for the chart's gateway settings, from its first route."""
    source = {
        "parentRefs": _items(route, "spec", "parentRefs"),
        "hostnames": dig(route, "spec", "hostnames", default=[]),
        "annotations": _map(route, "metadata", "annotations"),
    }
    settings = minimal(fit(source, GATEWAY_SCHEMA), GATEWAY_DEFAULTS)
    return {} if settings is DROP else _dotted(settings, "gateway")


def draft_spec(objects: list[dict], domain: str, chart: str) -> Draft:
    """The spec that regenerates `objects` as closely as a spec can say."""
    for value, option in ((domain, "--domain"), (chart, "--chart")):
        if not IDENTIFIER.match(value):
            raise SpecError.one("<command line>", option, f"invalid name {value!r}: expected a letter, then letters, digits, '_' or '-'")
    workloads = find_workloads(objects, domain, chart)
    if not workloads:
        raise SpecError.one("<source>", "", "no Deployment, Job or CronJob found: nothing to import")
    ingress = find_ingress(objects, workloads)
    routes = find_routes(objects, workloads)
    features = _features(workloads, ingress)
    if routes:
        features["gateway"] = True
    top: dict = {"domain": domain}
    registry, tag = _registry(workloads, domain), _common_tag(workloads)
    if registry != DEFAULT_REGISTRY:
        top["image_registry"] = registry
    entry: dict = {"app_version": tag} if tag != DEFAULT_VERSION else {}
    # First the shape of each app (it decides the defaults), then what differs from those defaults.
    skeleton = {w.key: _structure(w, features) for w in workloads}
    gateway = _gateway_values(routes[0]) if routes else {}  # parentRefs are required with the feature
    model = parse_spec({**top, "charts": {chart: {**entry, "apps": skeleton, "features": features, "custom_values": gateway}}}, DRAFT)[0]
    global_env = _global_env(workloads)
    apps = {w.key: {**skeleton[w.key], **_settings(w, app, global_env, tag)} for w, app in zip(workloads, model.apps, strict=True)}
    custom = {f"global.env.{k}": v for k, v in global_env.items()}
    for key in ("envFrom", "imagePullSecrets"):  # what every app lists first is the chart's
        shared = _shared_head([settings.get(key, []) for settings in apps.values()]) if len(apps) > 1 else []
        if shared:
            custom[f"global.{key}"] = shared
            for settings in apps.values():
                settings[key] = settings[key][len(shared) :]
                if not settings[key]:
                    del settings[key]
    if ingress and model.ingress:
        custom.update(_ingress_values(ingress, model.ingress))
    custom.update(gateway)
    extras = _extra_objects(objects, workloads, [ingress, *routes], extra_objects.own_identities(model))
    if extras:
        custom["extraObjects"] = list(extras.values())
    entry["apps"] = apps if any(apps.values()) else list(apps)
    entry.update({"features": features} if features else {})
    entry.update({"custom_values": custom} if custom else {})
    notes = [
        f"{w.obj['kind']}/{w.name}: no HTTP probe: the generated probes call GET {app.values['healthPath']} (set healthPath)"
        for w, app in zip(workloads, model.apps, strict=True)
        if app.has_health and not w.health_path
    ]
    notes += [
        f"CronJob/{w.name}: no startingDeadlineSeconds: the generated CronJob skips a run not started within "
        f"{app.values['startingDeadlineSeconds']} s (set startingDeadlineSeconds)"
        for w, app in zip(workloads, model.apps, strict=True)
        if w.type == CRONJOB and "startingDeadlineSeconds" not in _map(w.obj, "spec")
    ]
    return Draft({**top, "charts": {chart: entry}}, workloads, ingress, routes, notes, [o for o in objects if id(o) in extras])


def _extra_objects(objects: list[dict], workloads: list[Workload], chart_objects: list[dict | None], taken: set) -> dict[int, dict]:
    """id of each source object no app, Ingress or route took → the object as an extraObject,
    without what its release or the server wrote, where the generator accepts it (one name once)."""
    claimed = {id(o) for o in chart_objects if o is not None} | {id(o) for w in workloads for o in _objects_of(w)}
    taken = set(taken)
    extras = {}
    for obj in objects:
        if id(obj) not in claimed:
            extra = normalize(obj, Noise())
            if not extra_objects.problems([extra], taken):
                extras[id(obj)] = extra
    return extras


def _objects_of(w: Workload) -> tuple:
    return tuple(o for o in (w.obj, w.service, w.pdb, w.hpa, w.monitor, w.config_map, w.service_account, w.network_policy) if o is not None)


def _features(workloads: list[Workload], ingress: dict | None) -> dict[str, bool]:
    """A feature is on when every app it applies to has the object; otherwise apps opt in one by one."""
    deployments = [w for w in workloads if w.type not in RUNS]
    apis = [w for w in workloads if w.type == API]
    found = {
        "pdb": bool(deployments) and all(w.pdb for w in deployments),
        "hpa": bool(apis) and all(w.hpa for w in apis),
        "ingress": ingress is not None,
        "metrics": bool(apis) and all(w.metrics_port for w in apis),
        "networkPolicy": all(w.network_policy for w in workloads),
    }
    return {name: True for name, on in found.items() if on}


def _structure(w: Workload, features: dict) -> dict:
    """The settings that decide an app's shape: type, hook and the blocks it opts into."""
    out: dict = {}
    if w.type != detect_type(w.key):
        out["type"] = w.type
    hook = _map(w.obj, "metadata", "annotations").get("helm.sh/hook")
    if w.type == JOB and isinstance(hook, str) and all(h.strip() in HOOKS for h in hook.split(",")):
        out["hook"] = hook
    if w.type == CRONJOB:  # required; one the schema refuses shows as a warning after the comparison
        schedule = _map(w.obj, "spec").get("schedule")
        out["schedule"] = schedule if isinstance(schedule, str) and re.search(CRON_SCHEDULE, schedule) else "@daily"
    if w.type == PROCESSOR and w.health_path:
        out["healthPath"] = w.health_path
    if w.pdb and not features.get("pdb"):
        out["podDisruptionBudget"] = {"enabled": True}
    if w.hpa and not (features.get("hpa") and w.type == API):
        out["autoscaling"] = {"enabled": True}
    if w.metrics_port and not (features.get("metrics") and w.type == API):
        out["metrics"] = {"enabled": True}
    if w.network_policy and not features.get("networkPolicy"):
        out["networkPolicy"] = {"enabled": True}
    if w.config_map is not None:
        files = fit(_map(w.config_map, "data"), string_map("", CONFIG_KEY))
        out["configFiles"] = {} if files is DROP else files
    return out


def _settings(w: Workload, app: App, global_env: dict, app_version: str) -> dict:
    """The source's values where they fit the schema and differ from the app's defaults."""
    fitted = fit(_source_values(w, app, global_env), {**app_schema(app.shape), "definitions": k8s_definitions()})
    if fitted.get("image", {}).get("tag") == app_version:  # the chart's appVersion is every app's default tag
        fitted["image"]["tag"] = ""
    if "podDisruptionBudget" in fitted:
        merged = {**app.values, **fitted}
        floor = merged["autoscaling"]["minReplicas"] if "autoscaling" in merged else merged["replicas"]
        if pdb_problem(merged["podDisruptionBudget"], floor):  # the generator refuses PDBs that block drains
            del fitted["podDisruptionBudget"]
    settings = minimal(fitted, app.values)
    return _image_shortcuts({} if settings is DROP else settings)


def _source_values(w: Workload, app: App, global_env: dict) -> dict:
    """The source workload in the values layout, before schema fitting and defaults."""
    container, pod_spec, spec = w.container, _map(w.pod, "spec"), w.job_spec
    env_entries = [e for e in _items(container, "env") if isinstance(e.get("name"), str) and set(e) in ({"name", "value"}, {"name", "valueFrom"})]
    env = {e["name"]: _env_value(e) for e in env_entries}
    own_volumes = {TMP_VOLUME, *((CONFIG_VOLUME,) if w.config_map is not None else ())}
    account = pod_spec.get("serviceAccountName", "")
    values: dict = {
        "image": _image(container.get("image"), container.get("imagePullPolicy")),
        "command": container.get("command", []),
        "args": container.get("args", []),
        "env": {k: v for k, v in env.items() if global_env.get(k) != v},
        "resources": {k: quantity_strings(v) if isinstance(v, dict) else v for k, v in _map(container, "resources").items()},
        "securityContext": _map(container, "securityContext"),
        "podSecurityContext": _map(pod_spec, "securityContext"),
        # The config checksum follows the config files; the generator writes it again.
        "podAnnotations": {k: v for k, v in _map(w.pod, "metadata", "annotations").items() if not (k == CONFIG_CHECKSUM and w.config_map)},
        "nodeSelector": _map(pod_spec, "nodeSelector"),
        "tolerations": pod_spec.get("tolerations", []),
        "envFrom": container.get("envFrom", []),
        "imagePullSecrets": [s.get("name") for s in _items(pod_spec, "imagePullSecrets")],
        "serviceAccount": {
            "create": w.service_account is not None,
            "name": "" if w.service_account is not None and account == w.name else account,
            "annotations": _map(w.service_account, "metadata", "annotations") if w.service_account else {},
            "automountToken": pod_spec.get("automountServiceAccountToken", False),
        },
        # Recommended labels (app.kubernetes.io/*) are the chart's to set; other pod labels are kept.
        "podLabels": {k: v for k, v in _map(w.pod, "metadata", "labels").items() if not k.startswith(CHART_LABELS) and k not in OWN_POD_LABELS},
        "volumes": [v for v in _items(pod_spec, "volumes") if v.get("name") not in own_volumes],
        "volumeMounts": [m for m in _items(container, "volumeMounts") if m.get("name") not in own_volumes],
    }
    if w.network_policy:
        values["networkPolicy"] = _network_policy_rules(w)
    more = _items(pod_spec, "initContainers")
    values["sidecars"] = [{k: v for k, v in c.items() if k != "restartPolicy"} for c in more if c.get("restartPolicy") == "Always"]
    values["initContainers"] = [c for c in more if c.get("restartPolicy") != "Always"]
    values["podSpec"] = {k: v for k, v in pod_spec.items() if k not in POD_SPEC_OWNED}
    values["container"] = {k: v for k, v in container.items() if k not in CONTAINER_OWNED}
    config_mount = next((m for m in _items(container, "volumeMounts") if m.get("name") == CONFIG_VOLUME), None)
    if w.config_map is not None and config_mount:
        values["configMountPath"] = config_mount.get("mountPath")
    if w.type in RUNS:
        fields = JOB_FIELDS if w.type == JOB else {k: v for k, v in JOB_FIELDS.items() if k != "ttlSecondsAfterFinished"}
        values.update({k: spec.get(k, default) for k, default in fields.items() if spec.get(k, default) is not None})
        values["restartPolicy"] = pod_spec.get("restartPolicy")
        if w.type == CRONJOB:
            cron = _map(w.obj, "spec")
            values.update({k: cron.get(k, default) for k, default in CRONJOB_FIELDS.items() if cron.get(k, default) is not None})
        return values
    if "replicas" in spec or not w.hpa:
        values["replicas"] = spec.get("replicas", 1)  # Kubernetes' default
    values["zoneSpread"] = _without_selectors(pod_spec.get("topologySpreadConstraints")) == _without_selectors(zone_spread(app))
    if app.has_health:
        values["healthPath"] = w.health_path or app.values["healthPath"]
        values["port"] = w.app_port() or app.values["port"]
    if w.pdb:
        bounds = {k: v for k, v in _map(w.pdb, "spec").items() if k in ("minAvailable", "maxUnavailable")}
        values["podDisruptionBudget"] = {} if bounds == {"maxUnavailable": DEFAULT_MAX_UNAVAILABLE} else bounds
    if w.hpa:
        values["autoscaling"] = _autoscaling(_map(w.hpa, "spec"))
    if w.route:
        values["ingress"] = {"path": w.route.get("path"), "pathType": w.route.get("pathType")}
    elif "ingress" in app.values:
        values["ingress"] = {"enabled": False}
    if "gateway" in app.values:
        values["gateway"] = _gateway_settings(w)
    if "metrics" in app.values:
        values["metrics"] = metrics = {"port": w.metrics_port, "path": w.metrics_path or app.values["metrics"]["path"]}
        implied = {"prometheus.io/path": metrics["path"], "prometheus.io/port": str(metrics["port"]), "prometheus.io/scrape": "true"}
        values["podAnnotations"] = {k: v for k, v in values["podAnnotations"].items() if implied.get(k) != v}
    values["ports"] = _extra_ports(w, {values.get("port"), (values.get("metrics") or {}).get("port")})
    return values


def _network_policy_rules(w: Workload) -> dict:
    """The source policy's rules beyond those the chart writes itself (with the default peers)."""
    same_chart = [{"podSelector": {"matchLabels": {PART_OF: _map(w.pod, "metadata", "labels").get(PART_OF)}}}]
    own_ingress = [{"from": same_chart}, *(port_rule(NETWORK_POLICY_DEFAULTS[k], port) for k, port in PEER_PORTS)]
    own_ingress.append(port_rule(NETWORK_POLICY_DEFAULTS["metricsFrom"], "http"))  # metrics on the app port
    spec = _map(w.network_policy, "spec")
    return {
        "ingress": [r for r in _items(spec, "ingress") if r not in own_ingress],
        "egress": [r for r in _items(spec, "egress") if r not in (DNS, {"to": same_chart})],
    }


def _extra_ports(w: Workload, own: set) -> list[dict]:
    """Container ports beyond the app and metrics ports, with the Service's appProtocol or `expose: false`."""
    service_ports = _items(w.service, "spec", "ports")
    out = []
    for port in _items(w.container, "ports"):
        if port.get("containerPort") in own or not isinstance(port.get("name"), str):
            continue
        entry = {"name": port["name"], "port": port.get("containerPort")}
        if port.get("protocol", "TCP") != "TCP":
            entry["protocol"] = port["protocol"]
        served = next((p for p in service_ports if p.get("targetPort") in (port["name"], port.get("containerPort"))), None)
        if w.service is not None and served is None:
            entry["expose"] = False
        elif served and "appProtocol" in served:
            entry["appProtocol"] = served["appProtocol"]
        out.append(entry)
    return out


def _image(image, pull_policy) -> dict:
    """Repository, tag and pull policy (Kubernetes' default when absent); {} for digests, which a spec cannot pin."""
    if not isinstance(image, str) or not image or "@" in image:
        return {}
    head, _, last = image.rpartition("/")
    name, _, tag = last.partition(":")
    tag = tag or "latest"
    policy = pull_policy or ("Always" if tag == "latest" else "IfNotPresent")
    return {"repository": f"{head}/{name}" if head else name, "tag": tag, "pullPolicy": policy}


def _without_selectors(constraints) -> list | None:
    """Spread constraints without their label selectors (those follow the names)."""
    if not isinstance(constraints, list):
        return None
    return [{k: v for k, v in c.items() if k != "labelSelector"} for c in constraints if isinstance(c, dict)]


def _autoscaling(spec: dict) -> dict:
    targets = {"cpu": "targetCPUUtilizationPercentage", "memory": "targetMemoryUtilizationPercentage"}
    out = {"minReplicas": spec.get("minReplicas", 1), "maxReplicas": spec.get("maxReplicas")}
    if "targetCPUUtilizationPercentage" in spec:  # autoscaling/v1
        out["targetCPUUtilizationPercentage"] = spec["targetCPUUtilizationPercentage"]
    for metric in _items(spec, "metrics"):
        name, target = dig(metric, "resource", "name"), _map(metric, "resource", "target")
        if metric.get("type") == "Resource" and _texts(name) and name in targets and target.get("type") == "Utilization":
            out[targets[name]] = target.get("averageUtilization")
    return out


# The old chart's own labels (recommended labels, helm.sh/chart) are not carried over as pod labels.
CHART_LABELS = ("app.kubernetes.io/", "helm.sh/")


def _shared_head(lists: list[list]) -> list:
    """The items every list starts with."""
    head = []
    for items in zip(*lists, strict=False):
        if any(item != items[0] for item in items):
            break
        head.append(items[0])
    return head


def _env_value(entry: dict):
    """An env entry's value in the values layout: the string, or {valueFrom: ...}."""
    return entry["value"] if "value" in entry else {"valueFrom": entry["valueFrom"]}


def _global_env(workloads: list[Workload]) -> dict[str, str]:
    """Variables that every app (of two or more) sets to the same value; a single app keeps its own env."""
    if len(workloads) < 2:
        return {}
    sets = [
        {(e["name"], e["value"]) for e in _items(w.container, "env") if set(e) == {"name", "value"} and _texts(e["name"], e["value"])}
        for w in workloads
    ]
    shared = fit(dict(sorted(set.intersection(*sets))), GLOBAL_SCHEMA["properties"]["env"])
    return {} if shared is DROP else shared


def _registry(workloads: list[Workload], domain: str) -> str:
    """The registry most images follow as `<registry>/<domain>-<app>` (the generator's default repository)."""
    found = []
    for w in workloads:
        repository = _image(w.container.get("image"), None).get("repository", "")
        suffix = f"/{dashed(domain)}-{dashed(w.key)}"
        if repository.endswith(suffix) and REGISTRY.match(repository[: -len(suffix)]):
            found.append(repository[: -len(suffix)])
    return Counter(found).most_common(1)[0][0] if found else DEFAULT_REGISTRY


def _common_tag(workloads: list[Workload]) -> str:
    tags = [_image(w.container.get("image"), None).get("tag", "") for w in workloads]
    tags = [t for t in tags if IMAGE_TAG.match(t)]
    return Counter(tags).most_common(1)[0][0] if tags else DEFAULT_VERSION


def _image_shortcuts(settings: dict) -> dict:
    """`image: repo` and `tag: x`, as specs are written, unless a pull policy needs the mapping form."""
    image = settings.pop("image", None)
    if not image or "pullPolicy" in image:
        return {"image": image, **settings} if image else settings
    shortcuts = {"image": image.get("repository"), "tag": image.get("tag")}
    return {**{k: v for k, v in shortcuts.items() if v}, **settings}


def _ingress_values(ingress: dict, defaults: dict) -> dict:
    """custom_values (dotted paths) for the chart's Ingress settings."""
    rules = _items(ingress, "spec", "rules") or [{}]
    configs = fit(dig(ingress, "spec", "tls", default=[]), INGRESS_SCHEMA["properties"]["tls"]["properties"]["configs"])
    configs = [] if configs is DROP else configs
    source = {
        "host": rules[0].get("host", ""),
        "ingressClassName": dig(ingress, "spec", "ingressClassName", default=""),
        "annotations": _map(ingress, "metadata", "annotations"),
        "tls": {"enabled": bool(configs), "configs": configs},
    }
    settings = minimal(fit(source, INGRESS_SCHEMA), defaults)
    return {} if settings is DROP else _dotted(settings, "ingress")


def _dotted(settings: dict, prefix: str) -> dict:
    """Nested settings as custom_values paths; lists (tls configs) stay whole."""
    out = {}
    for key, value in settings.items():
        if isinstance(value, dict):
            out.update(_dotted(value, f"{prefix}.{key}"))
        else:
            out[f"{prefix}.{key}"] = value
    return out


def fit(value, schema: dict, root: dict | None = None):
    """The part of `value` the schema accepts; DROP for none. Refused keys and values are left
    out of the draft, and the comparison with the source then reports them."""
    root = root or schema
    schema = resolve(schema, root)
    if isinstance(value, dict) and schema.get("type") == "object":
        props, extra = schema.get("properties", {}), schema.get("additionalProperties", True)
        lenient = {k: v for k, v in schema.items() if k != "required"}  # defaults fill in the rest
        out = {}
        for key, item in value.items():
            if key in props:
                kept = fit(item, props[key], root)
            elif isinstance(extra, dict):
                kept = item if not check({key: item}, lenient, root) else DROP
            else:
                kept = DROP
            if kept is not DROP:
                out[key] = kept
        return out
    return value if not check(value, schema, root) else DROP


def minimal(actual, default):
    """What a spec must set so that merging it over `default` gives `actual`; DROP when nothing.
    A merge cannot remove a default key: such differences stay, and the comparison shows them."""
    if isinstance(actual, dict) and isinstance(default, dict):
        out = {}
        for key, value in actual.items():
            kept = minimal(value, default[key]) if key in default else value
            if kept is not DROP:
                out[key] = kept
        return out or DROP
    return DROP if same_value(actual, default) else actual


def generate(spec: dict) -> list[dict]:
    """The objects the generator makes from a spec of one chart."""
    model: ChartModel = parse_spec(spec, DRAFT)[0]
    return DomainChart(cdk8s.App(), model).to_json()


def unmapped(draft: Draft, source: list[dict], generated: list[dict]) -> list[str]:
    """One line per source object or field that the generated objects do not carry."""
    by_app = {(o["kind"], _map(o, "metadata", "labels").get(APP_KEY_LABEL)): o for o in generated}
    pairs: dict[int, dict | None] = {}
    for w in draft.workloads:
        for obj in _objects_of(w):
            pairs[id(obj)] = by_app.get((obj["kind"], w.key))
    if draft.ingress is not None:
        pairs[id(draft.ingress)] = next((o for o in generated if o["kind"] == "Ingress"), None)
    for route in draft.routes:
        pairs[id(route)] = next((o for o in generated if o["kind"] == route["kind"]), None)
    by_identity = by_kind_and_name(generated)
    for obj in draft.extra_objects:
        pairs[id(obj)] = by_identity.get((obj["kind"], obj["metadata"]["name"]))
    containers = {id(w.obj): w.container.get("name") for w in draft.workloads}
    lines = list(draft.notes)
    for obj in source:
        where = show((obj["kind"], "", obj["metadata"]["name"]))
        target = pairs.get(id(obj))
        if target is None:
            lines.append(f"{where}: object not mapped")
            continue
        old = normalize(obj, Noise())
        if id(obj) in containers and containers[id(obj)] != CONTAINER:
            _rename_container(old, containers[id(obj)])
            lines.append(f"{where}: container name {_short(containers[id(obj)])} not mapped (generated: {_short(CONTAINER)})")
        for change in compare(old, normalize(target, Noise())):
            if change.old is not ABSENT and not _follows_names(change.path):
                path = format_path(change.path)
                lines.append(f"{where}: {path} not mapped (source: {_short(change.old)}, generated: {_short(change.new)})")
    return lines


def _rename_container(obj: dict, name) -> None:
    """Name the main container as the generator does, so the rest of it is compared field by field."""
    for container in _items(obj, "spec", "template", "spec", "containers"):
        if container.get("name") == name:
            container["name"] = CONTAINER
            return


def _follows_names(path: tuple) -> bool:
    """Fields that change with the object names by design: names, selectors, the generator's own labels."""
    if path in (("metadata", "name"), ("spec", "scaleTargetRef", "name")) or path[-3:] == ("backend", "service", "name"):
        return True
    if path[-1:] == ("serviceAccountName",):  # a ServiceAccount the chart creates is renamed with the app
        return True
    if any(part in ("selector", "matchLabels", "labelSelector") for part in path if isinstance(part, str)):
        return True
    return any(path[i : i + 2] == ("metadata", "labels") and path[i + 2] in OWNED_LABELS for i in range(len(path) - 2))


def _short(value) -> str:
    text = "(absent)" if value is ABSENT else json.dumps(value, sort_keys=True, ensure_ascii=False)
    return text if len(text) <= 120 else text[:117] + "..."


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="main.py import",
        description="Write a draft spec from existing manifests, or from a chart rendered with helm template. "
        "What the spec cannot express is listed on stderr, one warning per line.",
    )
    p.add_argument("source", help="manifests file (multi-document YAML), chart directory or .tgz")
    p.add_argument("--domain", required=True, help="domain of the new spec")
    p.add_argument("--chart", required=True, help="chart name (key) in the new spec")
    p.add_argument("-o", "--output", type=Path, help="write the spec to this file (default: stdout)")
    p.add_argument("--debug", action="store_true", help="show tracebacks of internal errors")
    add_render_options(p)
    return p


def main(argv: list[str]) -> int:
    args = parser().parse_args(argv)
    options = render_options(args)
    if (options.values or options.set_values) and not is_chart(Path(args.source)):
        raise SpecError.one(args.source, "-f/--set", "values apply to charts only, and this is a manifests file")
    source = load_objects(args.source, options)
    draft = draft_spec(source, args.domain, args.chart)
    for line in unmapped(draft, source, generate(draft.spec)):
        print(f"import: warning: {line}", file=sys.stderr)
    text = HEADER.format(source=args.source) + dump_yaml(draft.spec)
    if args.output is None:
        sys.stdout.write(text)
    else:
        _write_atomically(args.output, text)
    return 0


def _write_atomically(path: Path, text: str) -> None:
    """Never a half-written spec: write beside it, then rename (with the mode a plain write would give)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    umask = os.umask(0)
    os.umask(umask)
    try:
        os.fchmod(fd, 0o666 & ~umask)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
