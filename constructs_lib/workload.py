"""The pod every workload shares, built on cdk8s-plus-28: secure defaults, probes, env, resources.

cdk8s-plus builds the workload, its container, ports, env, probes and the /tmp
volume, so users can keep calling kplus methods on it (`add_volume`, `mount`,
`add_container`, select its pods from a NetworkPolicy). What kplus cannot say
exactly is patched onto the object: resources and security contexts as the
values give them (kplus would rewrite quantities) and scheduling. Patches pass
through the typed k8s classes of kplus, so quantities go in as `k8s.Quantity`.

Pods keep kplus's `cdk8s.io/metadata.addr` label, which is how kplus selects pods
(a `kplus.NetworkPolicy` or `kplus.Service` given our workload); our own selectors
never use it, since it follows the construct path.

Bindings are paths relative to the pod template.
"""

from __future__ import annotations

import cdk8s
import cdk8s_plus_28 as kplus
from cdk8s_plus_28 import k8s
from constructs import Construct

from .bindings import Guard, Lit, Raw, Value, WithValue
from .labels import app_labels, selector_labels
from .model import App, ChartContext
from .props import snake

CONTAINER = "app"
TMP_VOLUME = "tmp"

PROBE_TIMINGS = {
    "readiness": {"period_seconds": 10, "timeout_seconds": 2, "failure_threshold": 3},
    "liveness": {"period_seconds": 20, "timeout_seconds": 2, "failure_threshold": 3},
    # Up to 5 minutes to start before liveness takes over.
    "startup": {"period_seconds": 5, "timeout_seconds": 2, "failure_threshold": 60},
}

# Kubernetes defaults kplus writes out. The API server drops the zero ones (so a
# live object would never match the chart) and defaults the rest, so they are
# left out, as a hand-written chart leaves them out. The probes' `scheme: HTTP` too.
# Patches address kplus's typed props, whose names differ from the JSON fields in
# a few places (setHostnameAsFqdn is written out as setHostnameAsFQDN).
KPLUS_POD_DEFAULTS = ("dnsPolicy", "hostNetwork", "restartPolicy", "setHostnameAsFqdn", "terminationGracePeriodSeconds")
KPLUS_DEPLOYMENT_DEFAULTS = ("minReadySeconds", "progressDeadlineSeconds")

# Template lines that merge global.env with the app's env (app wins), sorted by
# name: Helm 4 applies server-side and rejects duplicate names.
ENV_LINES = (
    "{{- if $env }}",
    "env:",
    "{{- range $name := keys $env | sortAlpha }}",
    "  - name: {{ $name | toJson }}",
    "    value: {{ index $env $name | toJson }}",
    "{{- end }}",
    "{{- end }}",
)


def kplus_enum(enum: type, value: str):
    """The kplus enum member of a Kubernetes spelling: `IfNotPresent` → IF_NOT_PRESENT."""
    return enum[snake(value).upper()]


def merged_env(chart: ChartContext, app: App) -> dict[str, str]:
    env = {**chart.global_env, **app.values["env"]}
    return {name: env[name] for name in sorted(env)}


def pod_annotations(app: App) -> dict[str, str]:
    metrics = app.values.get("metrics")
    out = {}
    if metrics and metrics["enabled"]:
        out = {
            "prometheus.io/path": metrics["path"],
            "prometheus.io/port": str(metrics["port"]),
            "prometheus.io/scrape": "true",
        }
    return {**out, **app.values["podAnnotations"]}


def pod_annotations_expr(app: App) -> str:
    """Template expression computing the same annotations as pod_annotations()."""
    if "metrics" not in app.values:
        return "$app.podAnnotations"
    prometheus = '(dict "prometheus.io/path" $app.metrics.path "prometheus.io/port" (toString $app.metrics.port) "prometheus.io/scrape" "true")'
    return f"(mergeOverwrite (dict) (ternary {prometheus} (dict) $app.metrics.enabled) $app.podAnnotations)"


def zone_spread(app: App) -> list[dict]:
    return [
        {
            "maxSkew": 1,
            "topologyKey": "topology.kubernetes.io/zone",
            "whenUnsatisfiable": "ScheduleAnyway",
            "labelSelector": {"matchLabels": selector_labels(app)},
        }
    ]


def host_anti_affinity(app: App) -> dict:
    return {
        "podAntiAffinity": {
            "preferredDuringSchedulingIgnoredDuringExecution": [
                {
                    "weight": 100,
                    "podAffinityTerm": {
                        "topologyKey": "kubernetes.io/hostname",
                        "labelSelector": {"matchLabels": selector_labels(app)},
                    },
                }
            ]
        }
    }


def _container(scope: Construct, app: App, env: dict[str, str], tmp: kplus.Volume) -> kplus.ContainerProps:
    values = app.values
    ports, probes = [], {}
    if app.has_health:
        ports.append(kplus.ContainerPort(number=values["port"], name="http", protocol=kplus.Protocol.TCP))
        for probe, timings in PROBE_TIMINGS.items():
            probes[probe] = kplus.Probe.from_http_get(
                values["healthPath"],
                port=values["port"],
                period_seconds=cdk8s.Duration.seconds(timings["period_seconds"]),
                timeout_seconds=cdk8s.Duration.seconds(timings["timeout_seconds"]),
                failure_threshold=timings["failure_threshold"],
            )
    if "metrics" in values:
        ports.append(kplus.ContainerPort(number=values["metrics"]["port"], name="metrics", protocol=kplus.Protocol.TCP))
    return kplus.ContainerProps(
        name=CONTAINER,
        image=app.image,
        image_pull_policy=kplus_enum(kplus.ImagePullPolicy, values["image"]["pullPolicy"]),
        command=values["command"] or None,
        args=values["args"] or None,
        env_variables={name: kplus.EnvValue.from_value(value) for name, value in env.items()},
        ports=ports,
        volume_mounts=[kplus.VolumeMount(path="/tmp", volume=tmp)],
        **probes,
    )


def pod_props(scope: Construct, chart: ChartContext, app: App) -> dict:
    """The kplus workload props shared by Deployments and Jobs."""
    tmp = kplus.Volume.from_empty_dir(scope, "tmp-volume", TMP_VOLUME, size_limit=cdk8s.Size.mebibytes(256))
    annotations = pod_annotations(app)
    return {
        "select": False,
        "automount_service_account_token": False,
        "pod_metadata": cdk8s.ApiObjectMetadata(labels=app_labels(chart, app), annotations=annotations or None),
        "containers": [_container(scope, app, merged_env(chart, app), tmp)],
        "volumes": [tmp],
    }


def finish_pod(workload: kplus.Deployment | kplus.Job, app: App) -> dict:
    """Patch what kplus cannot say exactly; returns the pod template's bindings."""
    values = app.values
    template = "/spec/template"
    pod_spec = {
        "enableServiceLinks": False,
        "securityContext": values["podSecurityContext"],
        "nodeSelector": values["nodeSelector"],
        "tolerations": values["tolerations"],
    }
    if not app.is_job:
        pod_spec["affinity"] = host_anti_affinity(app)
        if values["zoneSpread"]:
            pod_spec["topologySpreadConstraints"] = zone_spread(app)
    container = {"resources": quantities(values["resources"]), "securityContext": values["securityContext"]}
    if app.has_health:  # probes target the port by name, so a port change is one knob
        container.update({f"{probe}Probe/httpGet/port": k8s.IntOrString.from_string("http") for probe in PROBE_TIMINGS})
    patches = [cdk8s.JsonPatch.remove(f"{template}/spec/{key}") for key in KPLUS_POD_DEFAULTS if key != "restartPolicy" or not app.is_job]
    patches += [cdk8s.JsonPatch.remove(f"{template}/spec/containers/0/{probe}Probe/httpGet/scheme") for probe in PROBE_TIMINGS if app.has_health]
    patches += [cdk8s.JsonPatch.add(f"{template}/spec/{key}", value) for key, value in pod_spec.items() if value or value is False]
    patches += [cdk8s.JsonPatch.add(f"{template}/spec/containers/0/{key}", value) for key, value in container.items()]
    cdk8s.ApiObject.of(workload).add_json_patch(*patches)
    return pod_bindings(app)


def quantities(resources: dict) -> dict:
    """requests/limits as kplus's typed quantities (plain strings would not survive its toJson)."""
    return {kind: {name: k8s.Quantity.from_string(q) for name, q in amounts.items()} for kind, amounts in resources.items()}


def pod_bindings(app: App) -> dict:
    c = ("spec", "containers", 0)
    bindings: dict = {
        ("metadata", "annotations"): WithValue(pod_annotations_expr(app)),
        ("spec", "securityContext"): Value("$app.podSecurityContext"),
        ("spec", "nodeSelector"): WithValue("$app.nodeSelector"),
        ("spec", "tolerations"): WithValue("$app.tolerations"),
        (*c, "image"): Value('printf "%s:%s" $app.image.repository $app.image.tag'),
        (*c, "imagePullPolicy"): Value("$app.image.pullPolicy"),
        (*c, "command"): WithValue("$app.command"),
        (*c, "args"): WithValue("$app.args"),
        (*c, "env"): Raw(ENV_LINES),
        (*c, "resources"): Value("$app.resources"),
        (*c, "securityContext"): Value("$app.securityContext"),
    }
    if app.has_health:
        bindings[(*c, "ports", 0, "containerPort")] = Value("$app.port")
        for probe in PROBE_TIMINGS:
            bindings[(*c, f"{probe}Probe", "httpGet", "path")] = Value("$app.healthPath")
    if "metrics" in app.values:
        bindings[(*c, "ports", 1 if app.has_health else 0, "containerPort")] = Value("$app.metrics.port")
    if app.is_job:
        bindings[("spec", "restartPolicy")] = Value("$app.restartPolicy")
    else:
        bindings[("spec", "topologySpreadConstraints")] = Guard("$app.zoneSpread", Lit(zone_spread(app)))
    return bindings


def nested(prefix: tuple, bindings: dict) -> dict:
    """Bindings re-rooted under `prefix` (the pod template's place in its object)."""
    return {(*prefix, *path): binding for path, binding in bindings.items()}
