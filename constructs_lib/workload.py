"""The pod template every workload shares: secure defaults, probes, env, resources.

Returns the template body and its bindings (paths relative to the pod template).
"""

from __future__ import annotations

from .bindings import Guard, Lit, Raw, Value, WithValue
from .labels import app_labels, selector_labels
from .model import App, ChartModel

CONTAINER = "app"
TMP_VOLUME = "tmp"

PROBE_TIMINGS = {
    "readinessProbe": {"periodSeconds": 10, "timeoutSeconds": 2, "failureThreshold": 3},
    "livenessProbe": {"periodSeconds": 20, "timeoutSeconds": 2, "failureThreshold": 3},
    # Up to 5 minutes to start before liveness takes over.
    "startupProbe": {"periodSeconds": 5, "timeoutSeconds": 2, "failureThreshold": 60},
}

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


def merged_env(chart: ChartModel, app: App) -> list[dict]:
    env = {**chart.global_env, **app.values["env"]}
    return [{"name": name, "value": env[name]} for name in sorted(env)]


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


def pod_template(chart: ChartModel, app: App) -> tuple[dict, dict]:
    values = app.values
    container: dict = {
        "name": CONTAINER,
        "image": app.image,
        "imagePullPolicy": values["image"]["pullPolicy"],
        "resources": values["resources"],
        "securityContext": values["securityContext"],
        "volumeMounts": [{"name": TMP_VOLUME, "mountPath": "/tmp"}],
    }
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
    for key in ("command", "args"):
        if values[key]:
            container[key] = values[key]
    env = merged_env(chart, app)
    if env:
        container["env"] = env
    ports = []
    if app.has_health:
        ports.append({"name": "http", "containerPort": values["port"], "protocol": "TCP"})
        bindings[(*c, "ports", 0, "containerPort")] = Value("$app.port")
        for probe, timings in PROBE_TIMINGS.items():
            container[probe] = {"httpGet": {"path": values["healthPath"], "port": "http"}, **timings}
            bindings[(*c, probe, "httpGet", "path")] = Value("$app.healthPath")
    if "metrics" in values:
        ports.append({"name": "metrics", "containerPort": values["metrics"]["port"], "protocol": "TCP"})
        bindings[(*c, "ports", len(ports) - 1, "containerPort")] = Value("$app.metrics.port")
    if ports:
        container["ports"] = ports

    spec: dict = {
        "automountServiceAccountToken": False,
        "enableServiceLinks": False,
        "securityContext": values["podSecurityContext"],
        "containers": [container],
        "volumes": [{"name": TMP_VOLUME, "emptyDir": {"sizeLimit": "256Mi"}}],
    }
    for key in ("nodeSelector", "tolerations"):
        if values[key]:
            spec[key] = values[key]
    if app.is_job:
        spec["restartPolicy"] = values["restartPolicy"]
        bindings[("spec", "restartPolicy")] = Value("$app.restartPolicy")
    else:
        spec["affinity"] = {
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
        if values["zoneSpread"]:
            spec["topologySpreadConstraints"] = zone_spread(app)
        bindings[("spec", "topologySpreadConstraints")] = Guard("$app.zoneSpread", Lit(zone_spread(app)))
    metadata: dict = {"labels": app_labels(chart, app)}
    annotations = pod_annotations(app)
    if annotations:
        metadata["annotations"] = annotations
    return {"metadata": metadata, "spec": spec}, bindings


def nested(prefix: tuple, bindings: dict) -> dict:
    """Bindings re-rooted under `prefix` (the pod template's place in its object)."""
    return {(*prefix, *path): binding for path, binding in bindings.items()}
