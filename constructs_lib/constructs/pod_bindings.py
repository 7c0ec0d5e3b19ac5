"""How the pod template of every workload is wired to values (paths relative to the pod template).

The Python side (workload.py) computes the same fields from the same values;
the chart's default render equals the synth because both follow these rules.
"""

from __future__ import annotations

import hashlib
import json
import re

from ..gojson import go_json
from ..spec.defaults import DEFAULT_GRACE_SECONDS, MORE_CONTAINER_DEFAULTS, PROBE_TIMINGS
from ..spec.model import App, ChartContext
from ..spec.schema import PROBE_HANDLERS
from .bindings import Either, MapTail, Raw, Tail, Value, WithValue

CONFIG_CHECKSUM = "checksum/config"
# Pod spec fields written as the values give them, and only when not empty.
PLAIN_POD_FIELDS = ("priorityClassName", "hostAliases", "dnsConfig", "runtimeClassName")
SCALAR_POD_FIELDS = ("priorityClassName", "runtimeClassName")
# A repository's registry host: a first path part with a dot or a port, or localhost.
REGISTRY_HOST = "^([^/]*[.:][^/]*|localhost)/"


def pod_variables(app: App) -> dict[str, str]:
    """Per-template variables (name → expression): the workload's name, which the shared
    blocks of _helpers.tpl take from the template that includes them."""
    return {"workload": json.dumps(app.names.workload)}


# The image as `global.image` and the app's image give it; a tag from a values file may be a
# number, which arrives as float64 (20241101 would print as 2.0241101e+07). The registry
# rewrite only runs when global.image.registry is set (ternary would run it always).
IMAGE_LINES = (
    "{{- $repo := $app.image.repository }}",
    "{{- if $global.image.registry }}",
    '{{- $repo = printf "%s/%s" $global.image.registry (regexReplaceAll "' + REGISTRY_HOST + '" $repo "") }}',
    "{{- end }}",
    "{{- $tag := $app.image.tag | default $global.image.tag | default $root.Chart.AppVersion }}",
    '{{- if kindIs "float64" $tag }}{{ $tag = int64 $tag }}{{ end }}',
    'image: {{ printf "%s:%v" $repo $tag | toJson }}',
)
# global.env merged with the app's env (app wins), sorted by name: Helm 4 applies
# server-side and rejects duplicate names. A mapping is a {valueFrom: ...} reference.
ENV_LINES = (
    "{{- $env := mergeOverwrite (dict) $global.env $app.env }}",
    "{{- if $env }}",
    "env:",
    "{{- range $name := keys $env | sortAlpha }}",
    "{{- $value := index $env $name }}",
    "  - name: {{ $name | toJson }}",
    '{{- if kindIs "map" $value }}',
    "    valueFrom: {{- toYaml $value.valueFrom | nindent @ITEM+2@ }}",
    "{{- else }}",
    "    value: {{ $value | toJson }}",
    "{{- end }}",
    "{{- end }}",
    "{{- end }}",
)
ENV_FROM_LINES = (
    "{{- $envFrom := concat $global.envFrom $app.envFrom }}",
    "{{- if $envFrom }}",
    "envFrom:",
    "{{- range $envFrom }}",
    "  - {{ toYaml . | indent @ITEM@ | trim }}",
    "{{- end }}",
    "{{- end }}",
)
PULL_SECRET_LINES = (
    "{{- $pullSecrets := concat $global.imagePullSecrets $app.imagePullSecrets | uniq }}",
    "{{- if $pullSecrets }}",
    "imagePullSecrets:",
    "{{- range $pullSecrets }}",
    "  - name: {{ toJson . }}",
    "{{- end }}",
    "{{- end }}",
)
USER_VOLUME_LINES = (
    "{{- range $app.volumes }}",
    "- {{ toYaml . | indent @ITEM@ | trim }}",
    "{{- end }}",
)
# Mounts of secret volumes are read-only unless the mount says otherwise.
USER_MOUNT_LINES = (
    "{{- range $mount := $app.volumeMounts }}",
    "{{- $secret := false }}",
    "{{- range $app.volumes }}{{ if and (eq .name $mount.name) .secret }}{{ $secret = true }}{{ end }}{{ end }}",
    '{{- if and $secret (not (hasKey $mount "readOnly")) }}{{ $mount = mergeOverwrite (dict "readOnly" true) $mount }}{{ end }}',
    "- {{ toYaml $mount | indent @ITEM@ | trim }}",
    "{{- end }}",
)
# Sidecars first, so that init containers can use them (a database proxy for a migration);
# both are merged over defaults.more_container.
INIT_CONTAINER_LINES = (
    "{{- if or $app.sidecars $app.initContainers }}",
    f"{{{{- $containerDefaults := fromJson {json.dumps(json.dumps(MORE_CONTAINER_DEFAULTS))} }}}}",
    "initContainers:",
    "{{- range $app.sidecars }}",
    '  - {{ mergeOverwrite (deepCopy $containerDefaults) (deepCopy .) (dict "restartPolicy" "Always") | toYaml | indent @ITEM@ | trim }}',
    "{{- end }}",
    "{{- range $app.initContainers }}",
    "  - {{ mergeOverwrite (deepCopy $containerDefaults) (deepCopy .) | toYaml | indent @ITEM@ | trim }}",
    "{{- end }}",
    "{{- end }}",
)


def extra_fields_lines(expr: str) -> tuple[str, ...]:
    """An escape hatch's fields, written into the mapping they extend."""
    return (f"{{{{- with {expr} }}}}", "{{- toYaml . | nindent @HERE@ }}", "{{- end }}")


# Metrics on the app port (e.g. FastAPI's instrumentator) share the http port: no second port.
METRICS_SHARED = "(eq (toString $app.metrics.port) (toString $app.port))"
METRICS_PORT_NAME = f'(ternary "http" "metrics" {METRICS_SHARED})'
METRICS_SERVICE_PORT_LINES = (
    f"{{{{- if not {METRICS_SHARED} }}}}",
    "- name: metrics",
    "  port: {{ $app.metrics.port | toJson }}",
    "  protocol: TCP",
    "  targetPort: metrics",
    "{{- end }}",
)
METRICS_CONTAINER_PORT_LINES = (
    f"{{{{- if not {METRICS_SHARED} }}}}",
    "- containerPort: {{ $app.metrics.port | toJson }}",
    "  name: metrics",
    "  protocol: TCP",
    "{{- end }}",
)
CONTAINER_PORT_LINES = (
    "{{- range $app.ports }}",
    "- containerPort: {{ .port | toJson }}",
    "  name: {{ .name | toJson }}",
    '  protocol: {{ .protocol | default "TCP" | toJson }}',
    "{{- end }}",
)
# An api's Service ports beyond http and metrics: every values port unless `expose: false`.
SERVICE_PORT_LINES = (
    '{{- range $app.ports }}{{ if ne (toString .expose) "false" }}',
    "- name: {{ .name | toJson }}",
    "  port: {{ .port | toJson }}",
    '  protocol: {{ .protocol | default "TCP" | toJson }}',
    "  targetPort: {{ .name | toJson }}",
    "  {{- with .appProtocol }}",
    "  appProtocol: {{ toJson . }}",
    "  {{- end }}",
    "{{- end }}{{ end }}",
)


def spread_lines(app: App) -> tuple[str, ...]:
    """zoneSpread's constraint (deployments), then the values' constraints with the app's selector by default."""
    zone = (
        "{{- if $app.zoneSpread }}",
        "  - maxSkew: 1",
        "    topologyKey: topology.kubernetes.io/zone",
        "    whenUnsatisfiable: ScheduleAnyway",
        "    labelSelector:",
        "      matchLabels:",
        "        app.kubernetes.io/name: {{ $workload | toJson }}",
        "{{- end }}",
    )
    return (
        f"{{{{- if or {'$app.zoneSpread ' if not app.is_job else ''}$app.topologySpreadConstraints }}}}",
        "topologySpreadConstraints:",
        *(() if app.is_job else zone),
        "{{- range $app.topologySpreadConstraints }}",
        '{{- $c := mergeOverwrite (dict "labelSelector" (dict "matchLabels" (dict "app.kubernetes.io/name" $workload))) . }}',
        "  - {{ toYaml $c | indent @ITEM@ | trim }}",
        "{{- end }}",
        "{{- end }}",
    )


def probe_lines(app: App, name: str) -> tuple[str, ...]:
    """`<name>Probe:` as workload.probe() computes it: values' probes.<name> over the default.
    The default alone is written out field by field (sorted, as toYaml writes it): most apps
    keep it, and toYaml of a fresh dict per probe was a tenth of a 1000-app render."""
    handlers = " ".join(f'"{h}"' for h in PROBE_HANDLERS)
    given = (
        "{{- if $given }}",
        f"{{{{- $probe := {default_probe_expr(app, name)} }}}}",
        f"{{{{- range $h := list {handlers} }}}}{{{{ if and (hasKey $given $h) (not (hasKey $probe $h)) }}}}"
        f"{{{{ $probe = omit $probe {handlers} }}}}{{{{ end }}}}{{{{ end }}}}",
        "{{- $probe = mergeOverwrite $probe (deepCopy $given) }}",
        f"{name}Probe: {{{{- toYaml $probe | nindent @CHILD@ }}}}",
    )
    default = ()
    if app.has_health:
        fields = {"httpGet": None, **PROBE_TIMINGS[name]}
        default = ("{{- else }}", f"{name}Probe:")
        for key in sorted(fields):
            if key == "httpGet":
                default += ("  httpGet:", "    path: {{ $app.healthPath | toJson }}", "    port: http")
            else:
                default += (f"  {key}: {fields[key]}",)
    return (
        f'{{{{- $given := index ($app.probes | default dict) "{name}" }}}}',
        '{{- if not (kindIs "bool" $given) }}',
        *given,
        *default,
        "{{- end }}",
        "{{- end }}",
    )


def default_probe_expr(app: App, name: str) -> str:
    """workload.default_probe() as a template expression."""
    if not app.has_health:
        return "dict"
    timings = " ".join(f'"{k}" {v}' for k, v in PROBE_TIMINGS[name].items())
    return f'dict "httpGet" (dict "path" $app.healthPath "port" "http") {timings}'


GRACE_LINES = (
    f"{{{{- if ne (int $app.terminationGracePeriodSeconds) {DEFAULT_GRACE_SECONDS} }}}}",
    "terminationGracePeriodSeconds: {{ $app.terminationGracePeriodSeconds | toJson }}",
    "{{- end }}",
)
POD_LABEL_LINES = (
    "{{- range $key, $value := $app.podLabels }}",
    "{{ $key | toJson }}: {{ $value | toJson }}",
    "{{- end }}",
)


SERVICE_ACCOUNT_LINES = (
    "{{- $sa := $app.serviceAccount }}",
    "{{- if or $sa.create $sa.name }}",
    "serviceAccountName: {{ $sa.name | default $workload | toJson }}",
    "{{- end }}",
)


def effective_image(chart: ChartContext, app: App) -> tuple[str, str | int | None]:
    """(repository, tag) as the template computes them; the tag is None when nothing gives one."""
    image, every = app.values["image"], chart.global_values["image"]
    repository = image["repository"]
    if every["registry"]:
        repository = f"{every['registry']}/{re.sub(REGISTRY_HOST, '', repository)}"
    return repository, image["tag"] or every["tag"] or chart.app_version


def config_checksum(app: App) -> str:
    """sha256 of the config files as Helm's `toJson | sha256sum` computes it."""
    return hashlib.sha256(go_json(app.values["configFiles"]).encode()).hexdigest()


def pod_annotations(app: App) -> dict[str, str]:
    out = {}
    if "configFiles" in app.values:
        out[CONFIG_CHECKSUM] = config_checksum(app)
    metrics = app.values.get("metrics")
    if metrics and metrics["enabled"]:
        out |= {
            "prometheus.io/path": metrics["path"],
            "prometheus.io/port": str(metrics["port"]),
            "prometheus.io/scrape": "true",
        }
    return {**out, **app.values["podAnnotations"]}


def pod_annotations_expr(app: App) -> str:
    """Template expression computing the same annotations as pod_annotations()."""
    parts = []
    if "configFiles" in app.values:
        parts.append(f'(dict "{CONFIG_CHECKSUM}" (toJson $app.configFiles | sha256sum))')
    if "metrics" in app.values:
        prometheus = '(dict "prometheus.io/path" $app.metrics.path "prometheus.io/port" (toString $app.metrics.port) "prometheus.io/scrape" "true")'
        parts.append(f"(ternary {prometheus} (dict) $app.metrics.enabled)")
    if not parts:
        return "$app.podAnnotations"
    return f"(mergeOverwrite (dict) {' '.join(parts)} $app.podAnnotations)"


def pod_bindings(app: App, builtin_volumes: int, host_affinity: dict) -> dict:
    shareable = app.has_health and "metrics" in app.values  # the metrics port comes and goes with metrics.port
    own_ports = int(app.has_health) + int("metrics" in app.values and app.metrics_port_name == "metrics")
    c = ("spec", "containers", 0)
    bindings: dict = {
        ("metadata", "annotations"): WithValue(pod_annotations_expr(app)),
        ("metadata", "labels"): MapTail(tuple(app.values["podLabels"]), POD_LABEL_LINES),
        ("spec", "securityContext"): Value("$app.podSecurityContext"),
        ("spec", "nodeSelector"): WithValue("$app.nodeSelector"),
        ("spec", "tolerations"): WithValue("$app.tolerations"),
        ("spec", "imagePullSecrets"): Raw(PULL_SECRET_LINES),
        ("spec", "serviceAccountName"): Raw(SERVICE_ACCOUNT_LINES),
        ("spec", "automountServiceAccountToken"): Value("$app.serviceAccount.automountToken"),
        ("spec", "volumes"): Tail(builtin_volumes, USER_VOLUME_LINES, values_items=len(app.values["volumes"])),
        (*c, "image"): Raw(IMAGE_LINES),
        (*c, "imagePullPolicy"): Value("$app.image.pullPolicy"),
        (*c, "command"): WithValue("$app.command"),
        (*c, "args"): WithValue("$app.args"),
        (*c, "env"): Raw(ENV_LINES),
        (*c, "envFrom"): Raw(ENV_FROM_LINES),
        (*c, "resources"): Value("$app.resources"),
        (*c, "securityContext"): Value("$app.securityContext"),
        (*c, "volumeMounts"): Tail(builtin_volumes, USER_MOUNT_LINES, values_items=len(app.values["volumeMounts"])),
        (*c, "ports"): Tail(1, METRICS_CONTAINER_PORT_LINES + CONTAINER_PORT_LINES)
        if shareable
        else Tail(own_ports, CONTAINER_PORT_LINES, when="$app.ports"),
    }
    if "configFiles" in app.values:
        bindings[(*c, "volumeMounts", 1, "mountPath")] = Value("$app.configMountPath")
    if app.has_health:
        bindings[(*c, "ports", 0, "containerPort")] = Value("$app.port")
    bindings.update({(*c, f"{name}Probe"): Raw(probe_lines(app, name)) for name in PROBE_TIMINGS})
    if "metrics" in app.values and not shareable:
        bindings[(*c, "ports", 0, "containerPort")] = Value("$app.metrics.port")
    bindings[("spec", "topologySpreadConstraints")] = Raw(spread_lines(app))
    bindings[("spec", "terminationGracePeriodSeconds")] = Raw(GRACE_LINES)
    bindings.update({("spec", key): WithValue(f"$app.{key}", scalar=key in SCALAR_POD_FIELDS) for key in PLAIN_POD_FIELDS})
    bindings[(*c, "lifecycle")] = WithValue("$app.lifecycle")
    bindings[("spec", "initContainers")] = Raw(INIT_CONTAINER_LINES)
    # The escape hatches: their fields at generation come from values too (never literals).
    bindings.update({("spec", key): Raw(()) for key in app.values["podSpec"]})
    bindings.update({(*c, key): Raw(()) for key in app.values["container"]})
    bindings[("spec", "@podSpec")] = Raw(extra_fields_lines("$app.podSpec"))
    bindings[(*c, "@container")] = Raw(extra_fields_lines("$app.container"))
    if app.is_job:
        bindings[("spec", "restartPolicy")] = Value("$app.restartPolicy")
        bindings[("spec", "affinity")] = WithValue("$app.affinity")
    else:  # the chart's anti-affinity across nodes unless the values give an affinity
        bindings[("spec", "affinity")] = Either("$app.affinity", host_affinity)
    return bindings
