"""Rules that span several values (JSON Schema cannot compare two fields).

The same rules are written into the chart's validation template (helm_validation),
so a `--set` that breaks one fails at install time with the same message.
"""

from __future__ import annotations

from .model import ChartModel
from .schema import PROBE_HANDLERS

# Messages shared with the validation template ({name} fields become %v there).
BOTH_BOUNDS = (
    "set either minAvailable or maxUnavailable, not both; "
    "to replace a minAvailable the chart's values set, also set it to null (--set …minAvailable=null)"
)
BLOCKING_MIN = "minAvailable {value} with {floor} pod(s) would block every node drain; use a lower value or maxUnavailable"
BLOCKING_MAX = "maxUnavailable 0 would block every node drain"
MIN_OVER_MAX = "minReplicas must not exceed maxReplicas"
DUPLICATE_PATH = "path {path} is already used by app {other}"
TLS_WITHOUT_CONFIG = "tls.enabled needs at least one config"
NO_PARENT = "the routes attach to no Gateway: set gateway.parentRefs, e.g. [{name: shared, namespace: gateway-system}]"
REQUEST_OVER_LIMIT = "request {request} is above the limit {limit}"
ESCALATION_NEEDED = "must be true while privileged is true or CAP_SYS_ADMIN is added (the API server refuses it)"
EXISTS_WITH_VALUE = "must be empty when operator is Exists"
EQUAL_WITHOUT_KEY = "must be set when operator is Equal"
SECONDS_WITHOUT_NOEXECUTE = "is only allowed with effect NoExecute"
RESERVED_VOLUME = "volume name {name} is the chart's own (tmp, config); choose another"
DUPLICATE_VOLUME = "volume name {name} is used twice"
UNKNOWN_VOLUME = "mounts volume {name}, which the pod does not have"
DUPLICATE_MOUNT = "mount path {path} is already used (/tmp and configMountPath are the chart's own)"
RESERVED_LABEL = "label {name} is set by the chart and selects the app's pods; choose another"
DUPLICATE_PORT_NAME = "port name {name} is already used (http and metrics are the chart's own)"
DUPLICATE_PORT = "port {port}/{protocol} is already used"
TWO_HANDLERS = "a probe takes one of httpGet, grpc, tcpSocket, exec"
NO_PORT = "httpGet needs a port (the app has no healthPath, so no http port to default to)"
NO_HANDLER = "needs one of httpGet, grpc, tcpSocket, exec (the app has no healthPath to default to)"
DUPLICATE_CONTAINER = "container name {name} is already used (app is the app container's)"
MORE_CONTAINERS = ("sidecars", "initContainers")
OTHER_CONTAINER = "the app has one container, app; containerName {name} is not it"

# Names the chart gives its own volumes and pod labels; values may not reuse them.
OWN_VOLUMES = ("tmp", "config")
OWN_POD_LABELS = (
    "app.kubernetes.io/name",
    "app.kubernetes.io/component",
    "app.kubernetes.io/part-of",
    "enhanced-helm-charts/app",
    "cdk8s.io/metadata.addr",
)

# Kubernetes quantity suffixes; the validation template carries the same table.
QUANTITY_FACTORS = {
    "": 1,
    "m": 1e-3,
    "k": 1e3,
    "M": 1e6,
    "G": 1e9,
    "T": 1e12,
    "P": 1e15,
    "E": 1e18,
    "Ki": 2**10,
    "Mi": 2**20,
    "Gi": 2**30,
    "Ti": 2**40,
    "Pi": 2**50,
    "Ei": 2**60,
}
# Quantities compare as floats on both sides; this slack keeps 300m and 0.3 equal.
QUANTITY_SLACK = 1.000000001


def quantity(text: str) -> float:
    number = text.rstrip("kmMGTPEi")
    return float(number) * QUANTITY_FACTORS[text[len(number) :]]


def app_problems(values: dict) -> list[tuple[tuple, str]]:
    """Rules inside one app's values (paths relative to the app)."""
    problems = []
    resources = values["resources"]
    for name, request in resources.get("requests", {}).items():
        limit = resources.get("limits", {}).get(name)
        if limit is not None and quantity(request) > quantity(limit) * QUANTITY_SLACK:
            problems.append((("resources", "requests", name), REQUEST_OVER_LIMIT.format(request=request, limit=limit)))
    security = values["securityContext"]
    escalates = security.get("privileged") or "CAP_SYS_ADMIN" in security.get("capabilities", {}).get("add", [])
    if escalates and security.get("allowPrivilegeEscalation") is False:
        problems.append((("securityContext", "allowPrivilegeEscalation"), ESCALATION_NEEDED))
    for index, toleration in enumerate(values["tolerations"]):
        operator = toleration.get("operator", "Equal")
        if operator == "Exists" and toleration.get("value"):
            problems.append((("tolerations", index, "value"), EXISTS_WITH_VALUE))
        if operator == "Equal" and not toleration.get("key"):
            problems.append((("tolerations", index, "key"), EQUAL_WITHOUT_KEY))
        if "tolerationSeconds" in toleration and toleration.get("effect") != "NoExecute":
            problems.append((("tolerations", index, "tolerationSeconds"), SECONDS_WITHOUT_NOEXECUTE))
    return problems + _pod_problems(values)


def _pod_problems(values: dict) -> list[tuple[tuple, str]]:
    """Volumes, mounts, pod labels and env references the API server would refuse."""
    problems = []
    seen: set[str] = set()
    for index, volume in enumerate(values["volumes"]):
        name = volume["name"]
        if name in OWN_VOLUMES:
            problems.append((("volumes", index, "name"), RESERVED_VOLUME.format(name=name)))
        elif name in seen:
            problems.append((("volumes", index, "name"), DUPLICATE_VOLUME.format(name=name)))
        seen.add(name)
    own = {"tmp", *(("config",) if "configFiles" in values else ())}
    paths = {"/tmp", *((values["configMountPath"],) if "configFiles" in values else ())}
    for index, mount in enumerate(values["volumeMounts"]):
        if mount["name"] not in seen | own:
            problems.append((("volumeMounts", index, "name"), UNKNOWN_VOLUME.format(name=mount["name"])))
        if mount["mountPath"] in paths:
            problems.append((("volumeMounts", index, "mountPath"), DUPLICATE_MOUNT.format(path=mount["mountPath"])))
        paths.add(mount["mountPath"])
    containers = {"app"}
    for key in MORE_CONTAINERS:
        for index, container in enumerate(values.get(key) or []):
            if container["name"] in containers:
                problems.append(((key, index, "name"), DUPLICATE_CONTAINER.format(name=container["name"])))
            containers.add(container["name"])
            for number, mount in enumerate(container.get("volumeMounts", [])):
                if mount["name"] not in seen | own:
                    problems.append(((key, index, "volumeMounts", number, "name"), UNKNOWN_VOLUME.format(name=mount["name"])))
    problems += [(("podLabels", key), RESERVED_LABEL.format(name=key)) for key in values["podLabels"] if key in OWN_POD_LABELS]
    for name, probe in values["probes"].items():
        if isinstance(probe, dict):
            handlers = [h for h in PROBE_HANDLERS if h in probe]
            if len(handlers) > 1:
                problems.append((("probes", name), TWO_HANDLERS))
            elif not handlers and "healthPath" not in values:
                problems.append((("probes", name), NO_HANDLER))
            elif "httpGet" in probe and "port" not in probe["httpGet"] and "healthPath" not in values:
                problems.append((("probes", name, "httpGet"), NO_PORT))
    names = {"http", "metrics"}
    numbers = {(p, "TCP") for p in (values.get("port"), (values.get("metrics") or {}).get("port")) if p}
    for index, port in enumerate(values["ports"]):
        number = (port["port"], port.get("protocol", "TCP"))
        if port["name"] in names:
            problems.append((("ports", index, "name"), DUPLICATE_PORT_NAME.format(name=port["name"])))
        elif number in numbers:
            problems.append((("ports", index, "port"), DUPLICATE_PORT.format(port=number[0], protocol=number[1])))
        names.add(port["name"])
        numbers.add(number)
    for name, value in values["env"].items():
        ref = value.get("valueFrom", {}).get("resourceFieldRef", {}) if isinstance(value, dict) else {}
        if ref.get("containerName", "app") != "app":
            problems.append((("env", name, "valueFrom", "resourceFieldRef", "containerName"), OTHER_CONTAINER.format(name=ref["containerName"])))
    return problems


def pdb_problem(pdb: dict, floor: int) -> tuple[str, str] | None:
    """(key, message) when a PDB would block every voluntary eviction; `floor` = fewest pods."""
    if "minAvailable" in pdb and "maxUnavailable" in pdb:
        return "minAvailable", BOTH_BOUNDS
    if "minAvailable" in pdb and floor > 0:
        value = pdb["minAvailable"]
        pods = -(-int(value[:-1]) * floor // 100) if isinstance(value, str) else value  # % rounds up
        if pods >= floor:
            return "minAvailable", BLOCKING_MIN.format(value=value, floor=floor)
    if pdb.get("maxUnavailable") in (0, "0%"):
        return "maxUnavailable", BLOCKING_MAX
    return None


def cross_field_problems(chart: ChartModel) -> list[tuple[tuple, str]]:
    problems: list[tuple[tuple, str]] = []
    seen_paths: dict[str, str] = {}
    seen_routes: dict[str, str] = {}
    for app in chart.apps:
        base = (chart.domain, "apps", app.key)
        values = app.values
        problems += [((*base, *path), message) for path, message in app_problems(values)]
        hpa = values.get("autoscaling")
        if hpa and hpa["minReplicas"] > hpa["maxReplicas"]:
            problems.append(((*base, "autoscaling", "minReplicas"), MIN_OVER_MAX))
        pdb = values.get("podDisruptionBudget")
        if pdb and pdb["enabled"]:
            floor = hpa["minReplicas"] if hpa and hpa["enabled"] else values["replicas"]
            found = pdb_problem(pdb, floor)
            if found:
                problems.append(((*base, "podDisruptionBudget", found[0]), found[1]))
        ingress = values.get("ingress")
        if ingress and ingress["enabled"] and app.enabled:
            path = ingress["path"]
            if path in seen_paths:
                problems.append(((*base, "ingress", "path"), DUPLICATE_PATH.format(path=path, other=seen_paths[path])))
            seen_paths[path] = app.key
        route = values.get("gateway")
        if route and route["enabled"] and app.enabled and route["kind"] == "HTTPRoute":
            path = route["path"]
            if path in seen_routes:
                problems.append(((*base, "gateway", "path"), DUPLICATE_PATH.format(path=path, other=seen_routes[path])))
            seen_routes[path] = app.key
    gateway = chart.gateway
    if gateway and gateway["enabled"] and not gateway["parentRefs"]:
        problems.append((("gateway", "parentRefs"), NO_PARENT))
    tls = (chart.ingress or {}).get("tls")
    if tls and tls["enabled"] and not tls["configs"]:
        problems.append((("ingress", "tls", "configs"), TLS_WITHOUT_CONFIG))
    return problems
