"""The values layout as JSON Schema (draft-07): one source for spec validation,
values.schema.json and the chart README.

Apps of the same shape share a definition (`#/definitions/<shape>`), so the
schema of a 1000-app chart stays small and fast for Helm to check.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from .naming import API, CRONJOB, JOB

DRAFT07 = "http://json-schema.org/draft-07/schema#"
INGRESS_PATH_TYPES = ["Prefix", "Exact", "ImplementationSpecific"]
PULL_POLICIES = ["Always", "IfNotPresent", "Never"]
RESTART_POLICIES = ["Never", "OnFailure"]
# Kubernetes quantity (a subset that covers what people write: 250m, 0.5, 128Mi, 1G).
QUANTITY = r"^([0-9]+(\.[0-9]+)?|\.[0-9]+)(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$"
ENV_NAME = r"^[-._a-zA-Z][-._a-zA-Z0-9]*$"
DNS_SUBDOMAIN = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"
HOSTNAME = r"^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"
DNS_LABEL = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
IPV4 = r"^[0-9]+(\.[0-9]+){3}$"
LABEL_VALUE = r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$"
# What the API server refuses in Prefix/Exact ingress paths: empty or dot segments, encoded slashes.
BAD_PATH = r"//|/\./|/\.\./|%2[fF]|/\.\.?$"
NOT_BAD_PATH = {"type": "string", "pattern": BAD_PATH, "description": "no //, /./, /../ or %2F"}
LABEL_KEY = r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$"
IMAGE_TAG = r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$"
CONFIG_KEY = r"^[-._a-zA-Z0-9]+$"  # a ConfigMap key, and so a file name under the mount path
# Kubernetes sub-objects users paste into values, checked as strictly as our own keys
# (generated from the Kubernetes 1.29 schemas by scripts/gen_k8s_schemas.py).
K8S_FILE = Path(__file__).with_name("k8s_schemas.json")
K8S_USED = (
    "EnvVarSource",
    "EnvFromSource",
    "Volume",
    "VolumeMount",
    "Probe",
    "Affinity",
    "TopologySpreadConstraint",
    "Lifecycle",
    "HostAlias",
    "PodDNSConfig",
    "NetworkPolicyPeer",
    "NetworkPolicyIngressRule",
    "NetworkPolicyEgressRule",
)
PROBES = ("readiness", "liveness", "startup")
# Pod spec and app container fields the chart writes, and the knob that sets each: the
# `podSpec` and `container` escape hatches take every other Kubernetes field.
POD_SPEC_OWNED = {
    "containers": "use container (the app container) or sidecars",
    "initContainers": "use initContainers or sidecars",
    "ephemeralContainers": "use kubectl debug (not a chart field)",
    "volumes": "use volumes",
    "affinity": "use affinity",
    "topologySpreadConstraints": "use topologySpreadConstraints",
    "tolerations": "use tolerations",
    "nodeSelector": "use nodeSelector",
    "securityContext": "use podSecurityContext",
    "imagePullSecrets": "use imagePullSecrets",
    "serviceAccountName": "use serviceAccount.name",
    "serviceAccount": "use serviceAccount.name",
    "automountServiceAccountToken": "use serviceAccount.automountToken",
    "priorityClassName": "use priorityClassName",
    "terminationGracePeriodSeconds": "use terminationGracePeriodSeconds",
    "hostAliases": "use hostAliases",
    "dnsConfig": "use dnsConfig",
    "runtimeClassName": "use runtimeClassName",
    "restartPolicy": "use restartPolicy (jobs; a Deployment's pods always restart)",
    "enableServiceLinks": "the chart keeps it false (no env var per Service in the namespace)",
}
CONTAINER_OWNED = {
    "name": "the app container is named app",
    "image": "use image",
    "imagePullPolicy": "use image.pullPolicy",
    "command": "use command",
    "args": "use args",
    "env": "use env",
    "envFrom": "use envFrom",
    "ports": "use port or ports",
    "volumeMounts": "use volumeMounts",
    "resources": "use resources",
    "securityContext": "use securityContext",
    "readinessProbe": "use probes.readiness",
    "livenessProbe": "use probes.liveness",
    "startupProbe": "use probes.startup",
    "lifecycle": "use lifecycle",
    "restartPolicy": "use sidecars (a container with restartPolicy Always is a sidecar)",
}
# What the API server or the chart decides for init containers and sidecars.
SIDECAR_OWNED = {"restartPolicy": "it is Always: sidecars are init containers that keep running (Kubernetes 1.29+)"}
INIT_CONTAINER_OWNED = {
    "restartPolicy": "use sidecars (an init container that keeps running)",
    **{f"{probe}Probe": "use sidecars (init containers run to completion and cannot have probes)" for probe in PROBES},
    "lifecycle": "use sidecars (init containers cannot have lifecycle hooks)",
}
# A CronJob schedule as the API server parses it (robfig/cron ParseStandard): five
# fields, or a descriptor. Time zones go in timeZone, never as a TZ= prefix.
_MONTHS = "JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC"
_DAYS = "SUN|MON|TUE|WED|THU|FRI|SAT"


def _cron_field(value: str, question_mark: bool = False) -> str:
    item = rf"(\*|({value})(-({value}))?)(/[0-9]+)?"
    anything = r"|\?" if question_mark else ""
    return rf"({item}(,{item})*{anything})"


CRON_SCHEDULE = (
    r"^(@(yearly|annually|monthly|weekly|daily|midnight|hourly)|@every ([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+|"
    + " ".join(
        (
            _cron_field("[0-5]?[0-9]"),
            _cron_field("[01]?[0-9]|2[0-3]"),
            _cron_field("0?[1-9]|[12][0-9]|3[01]", question_mark=True),
            _cron_field(f"0?[1-9]|1[0-2]|{_MONTHS}|{_MONTHS.lower()}"),
            _cron_field(f"[0-6]|{_DAYS}|{_DAYS.lower()}", question_mark=True),
        )
    )
    + ")$"
)
TIME_ZONE = r"^$|^[A-Za-z]+([/_+-][A-Za-z0-9]+)*$"
CONCURRENCY_POLICIES = ["Forbid", "Allow", "Replace"]
CRONJOB_KEYS = ("timeZone", "concurrencyPolicy", "startingDeadlineSeconds", "successfulJobsHistoryLimit", "failedJobsHistoryLimit", "suspend")
# An image reference with a tag or a digest (a container without one would run whatever `latest` is).
_REPOSITORY = r"([a-z0-9]([-a-z0-9.]*[a-z0-9])?(:[0-9]+)?/)?[a-z0-9]+([._/-]+[a-z0-9]+)*"
PINNED_IMAGE = rf"^{_REPOSITORY}(:[A-Za-z0-9_][A-Za-z0-9_.-]{{0,127}}(@sha256:[a-f0-9]{{64}})?|@sha256:[a-f0-9]{{64}})$"


@cache
def k8s_definitions() -> dict:
    """`definitions` entries (`k8s.<Name>`) for the Kubernetes sub-objects the values use."""
    every = json.loads(K8S_FILE.read_text())
    # A probe in values is merged over the default HTTP probe on port `http`, so its
    # httpGet may leave the port out (rules.py wants one where there is no default).
    del every["Probe"]["properties"]["httpGet"]["required"]
    return {
        **{f"k8s.{name}": every[name] for name in K8S_USED},
        "k8s.PodSpecExtra": _extra(every["PodSpec"], POD_SPEC_OWNED, "Pod spec fields the chart does not set"),
        "k8s.ContainerExtra": _extra(every["Container"], CONTAINER_OWNED, "App container fields the chart does not set"),
        "k8s.InitContainer": _more_container(every["Container"], INIT_CONTAINER_OWNED),
        "k8s.Sidecar": _more_container(every["Container"], SIDECAR_OWNED),
    }


def _more_container(schema: dict, owned: dict[str, str]) -> dict:
    """An init container or sidecar: a Kubernetes Container with a name and a pinned image."""
    out = _extra(schema, owned, "A Kubernetes container (resources and securityContext merged over the safe defaults)")
    out["properties"]["image"] = {
        "type": "string",
        "pattern": PINNED_IMAGE,
        "description": "an image with a tag or digest, e.g. envoyproxy/envoy:v1.31.2",
    }
    return {**out, "required": ["name", "image"]}


def _extra(schema: dict, owned: dict[str, str], description: str) -> dict:
    """An escape hatch's schema: the Kubernetes object, with each field the chart owns
    refused by a message that names the knob to use instead."""
    refused = {key: {"not": {}, "description": f"the chart sets this field; {why}"} for key, why in owned.items()}
    kept = {key: value for key, value in schema.items() if key != "required"}
    return {**kept, "description": description, "properties": {**schema["properties"], **refused}}


def k8s_ref(name: str, description: str) -> dict:
    return {"$ref": f"#/definitions/k8s.{name}", "description": description}


def k8s_list(name: str, description: str | None = None) -> dict:
    """A list of one Kubernetes sub-object."""
    out = {"type": "array", "items": {"$ref": f"#/definitions/k8s.{name}"}}
    return {**out, "description": description} if description else out


@dataclass(frozen=True)
class AppShape:
    """Which knobs an app has; apps with equal shapes share one schema definition."""

    type: str
    health: bool = False
    pdb: bool = False
    hpa: bool = False
    ingress: bool = False
    gateway: bool = False
    metrics: bool = False
    config: bool = False
    netpol: bool = False

    @property
    def key(self) -> str:
        flags = [f for f in ("health", "pdb", "hpa", "ingress", "gateway", "metrics", "config", "netpol") if getattr(self, f)]
        return "-".join([self.type, *flags])


def obj(properties: dict, required=(), description: str | None = None) -> dict:
    """A strict object: only the named properties."""
    out = {"type": "object", "additionalProperties": False, "properties": properties}
    if required:
        out["required"] = list(required)
    if description:
        out["description"] = description
    return out


def string_map(description: str, key_pattern: str | None = None, value: dict | None = None) -> dict:
    out = {"type": "object", "additionalProperties": value or {"type": "string"}, "description": description}
    if key_pattern:
        out["propertyNames"] = {"pattern": key_pattern}
    return out


def integer(minimum: int, maximum: int, description: str) -> dict:
    return {"type": "integer", "minimum": minimum, "maximum": maximum, "description": description}


def boolean(description: str) -> dict:
    return {"type": "boolean", "description": description}


def string(description: str, **extra) -> dict:
    return {"type": "string", "description": description, **extra}


INT_OR_PERCENT = {
    "anyOf": [
        {"type": "integer", "minimum": 0},
        {"type": "string", "pattern": "^(100|[1-9]?[0-9])%$"},
    ]
}

_QUANTITIES = obj(
    {
        "cpu": string("CPU, e.g. 250m", pattern=QUANTITY),
        "memory": string("Memory, e.g. 256Mi", pattern=QUANTITY),
        "ephemeral-storage": string("Ephemeral storage, e.g. 1Gi", pattern=QUANTITY),
    }
)

_CAPABILITIES = obj(
    {
        "add": {"type": "array", "items": {"type": "string"}, "description": "Linux capabilities to add, e.g. NET_BIND_SERVICE"},
        "drop": {"type": "array", "items": {"type": "string"}, "description": "Linux capabilities to drop (default ALL)"},
    }
)

CONTAINER_SECURITY = obj(
    {
        "runAsNonRoot": boolean("Refuse to start as root"),
        "runAsUser": integer(0, 2147483647, "UID of the container process"),
        "runAsGroup": integer(0, 2147483647, "GID of the container process"),
        "readOnlyRootFilesystem": boolean("Mount the root filesystem read-only"),
        "allowPrivilegeEscalation": boolean("Allow setuid binaries to gain privileges"),
        "privileged": boolean("Run privileged (never needed by ordinary apps)"),
        "capabilities": _CAPABILITIES,
    },
    description="Container securityContext (merged over the safe defaults)",
)

POD_SECURITY = obj(
    {
        "runAsNonRoot": boolean("Refuse to start containers as root"),
        "runAsUser": integer(0, 2147483647, "Default UID"),
        "runAsGroup": integer(0, 2147483647, "Default GID"),
        "fsGroup": integer(0, 2147483647, "Group owning mounted volumes"),
        # The API server wants localhostProfile exactly when the type is Localhost.
        "seccompProfile": {
            "anyOf": [
                obj({"type": {"enum": ["RuntimeDefault", "Unconfined"]}}, required=("type",)),
                obj({"type": {"enum": ["Localhost"]}, "localhostProfile": {"type": "string", "minLength": 1}}, required=("type", "localhostProfile")),
            ],
            "description": "Seccomp filter: {type: RuntimeDefault}, Unconfined, or Localhost with localhostProfile",
        },
    },
    description="Pod securityContext (merged over the safe defaults)",
)

TOLERATIONS = {
    "type": "array",
    "description": "Pod tolerations",
    "items": obj(
        {
            "key": {"type": "string", "pattern": f"({LABEL_KEY})|^$"},
            "operator": {"enum": ["Exists", "Equal"]},
            "value": {"type": "string", "maxLength": 63, "pattern": LABEL_VALUE},
            "effect": {"enum": ["NoSchedule", "PreferNoSchedule", "NoExecute"]},
            "tolerationSeconds": {"type": "integer"},
        }
    ),
}


def env_schema(description: str) -> dict:
    """name → a string, or {valueFrom: <EnvVarSource>} (a Secret or ConfigMap key, a pod field, a resource)."""
    value_from = obj({"valueFrom": k8s_ref("EnvVarSource", "Where the value comes from")}, required=("valueFrom",))
    return string_map(description, ENV_NAME, {"anyOf": [{"type": "string"}, value_from]})


ENV_FROM = k8s_list("EnvFromSource")
PULL_SECRETS = {"type": "array", "items": {"type": "string", "pattern": DNS_SUBDOMAIN, "maxLength": 253}}
PROBE_HANDLERS = ("httpGet", "grpc", "tcpSocket", "exec")
# Scheduling and shutdown keys every app has; empty means Kubernetes' (or the chart's) default.
SCHEDULING = (
    "affinity",
    "topologySpreadConstraints",
    "priorityClassName",
    "terminationGracePeriodSeconds",
    "lifecycle",
    "hostAliases",
    "dnsConfig",
    "runtimeClassName",
)
PORT_NAME = r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$"  # IANA service name, as Kubernetes wants it
PORTS = {
    "type": "array",
    "description": "More named ports on the app container (and on an api's Service unless expose is false)",
    "items": obj(
        {
            "name": string("Port name (not http or metrics)", pattern=PORT_NAME, maxLength=15),
            "port": integer(1, 65535, "Container port (and Service port)"),
            "protocol": {"enum": ["TCP", "UDP", "SCTP"], "description": "Protocol (default TCP)"},
            "appProtocol": string("Service appProtocol, e.g. grpc or kubernetes.io/h2c", minLength=1),
            "expose": boolean("Also a port of the api's Service (default true)"),
        },
        required=("name", "port"),
    ),
}
TAG = {"anyOf": [{"type": "string", "pattern": f"^$|{IMAGE_TAG}"}, {"type": "integer", "minimum": 0}]}


def app_schema(shape: AppShape) -> dict:
    """The strict schema of one app's values, for apps of this shape."""
    props: dict = {
        "enabled": boolean("Render this app; false removes every object of the app"),
        "type": {
            "enum": [shape.type],
            "description": "Service type, fixed at generation time (change it in the spec and regenerate)",
        },
        "image": obj(
            {
                "repository": string("Image repository, registry included", minLength=1),
                "tag": {**TAG, "description": "Image tag (empty: global.image.tag, else the chart's appVersion); --set may give a number"},
                "pullPolicy": {"enum": PULL_POLICIES, "description": "imagePullPolicy"},
            },
            required=("repository", "tag"),
            description="Container image",
        ),
        "command": {"type": "array", "items": {"type": "string"}, "description": "Container command (empty: image entrypoint)"},
        "args": {"type": "array", "items": {"type": "string"}, "description": "Container arguments"},
        "env": env_schema("Environment variables: a string or {valueFrom: ...} (override global.env by name)"),
        "envFrom": {**ENV_FROM, "description": "Secrets and ConfigMaps whose keys become env vars (after global.envFrom)"},
        "ports": PORTS,
        "imagePullSecrets": {**PULL_SECRETS, "description": "Names of registry Secrets (added to global.imagePullSecrets)"},
        "serviceAccount": obj(
            {
                "create": boolean("Create a ServiceAccount for this app"),
                "name": string(
                    "ServiceAccount name (empty: the app's object name when created, else none)", pattern=f"({DNS_SUBDOMAIN})|^$", maxLength=253
                ),
                "annotations": string_map("ServiceAccount annotations, e.g. eks.amazonaws.com/role-arn", LABEL_KEY),
                "automountToken": boolean("Mount the ServiceAccount's API token into the pod"),
            },
            required=("create", "name", "annotations", "automountToken"),
            description="The pod's identity",
        ),
        "probes": obj(
            {
                name: {
                    "anyOf": [{"enum": [False]}, {"$ref": "#/definitions/k8s.Probe"}],
                    "description": f"The {name} probe: false (off), or a Kubernetes Probe merged over the default from healthPath",
                }
                for name in PROBES
            },
            description="Readiness, liveness and startup probes, each on its own (default: HTTP GET healthPath for all three)",
        ),
        "affinity": k8s_ref("Affinity", "Pod affinity; replaces the default anti-affinity across nodes when not empty"),
        "topologySpreadConstraints": k8s_list(
            "TopologySpreadConstraint", "Spread constraints (labelSelector defaults to the app's own selector), after zoneSpread's"
        ),
        "priorityClassName": string("PriorityClass of the pods (empty: the cluster default)", pattern=f"({DNS_SUBDOMAIN})|^$", maxLength=253),
        "terminationGracePeriodSeconds": integer(0, 31536000, "Seconds between SIGTERM and SIGKILL"),
        "lifecycle": k8s_ref("Lifecycle", "Container lifecycle hooks, e.g. preStop: {sleep: {seconds: 5}}"),
        "hostAliases": k8s_list("HostAlias", "Extra /etc/hosts entries"),
        "dnsConfig": k8s_ref("PodDNSConfig", "Pod DNS settings (nameservers, searches, options)"),
        "runtimeClassName": string("RuntimeClass (empty: the cluster default)", pattern=f"({DNS_SUBDOMAIN})|^$", maxLength=253),
        "podSpec": k8s_ref("PodSpecExtra", "More pod spec fields, as Kubernetes names them (not those the chart sets; each has its own knob)"),
        "container": k8s_ref("ContainerExtra", "More fields of the app container (not those the chart sets; each has its own knob)"),
        "initContainers": k8s_list("InitContainer", "Containers that run to completion before the app starts (after the sidecars start)"),
        "sidecars": k8s_list("Sidecar", "Native sidecars (Kubernetes 1.29+): start before the app, stop after it, never block a Job"),
        "podLabels": string_map(
            "Extra pod labels (never the chart's own labels)", LABEL_KEY, {"type": "string", "maxLength": 63, "pattern": LABEL_VALUE}
        ),
        "volumes": k8s_list("Volume", "Pod volumes (not named tmp or config)"),
        "volumeMounts": k8s_list("VolumeMount", "Mounts of volumes into the app container (secret volumes read-only unless readOnly says otherwise)"),
        "resources": obj({"requests": _QUANTITIES, "limits": _QUANTITIES}, description="Container resources"),
        "securityContext": CONTAINER_SECURITY,
        "podSecurityContext": POD_SECURITY,
        "podAnnotations": string_map("Extra pod annotations", LABEL_KEY),
        "nodeSelector": string_map("Pod nodeSelector", LABEL_KEY, {"type": "string", "maxLength": 63, "pattern": LABEL_VALUE}),
        "tolerations": TOLERATIONS,
    }
    required = [
        "enabled",
        "type",
        "image",
        "resources",
        "env",
        "envFrom",
        "imagePullSecrets",
        "serviceAccount",
        "podLabels",
        "volumes",
        "volumeMounts",
    ]
    if shape.config:
        props["configFiles"] = string_map("Config files: file name → content, in a ConfigMap mounted read-only", CONFIG_KEY)
        props["configMountPath"] = string("Where the config files are mounted", pattern="^/")
        required += ["configFiles", "configMountPath"]
    if shape.type == CRONJOB:
        props.update(
            schedule=string(
                "When to run: five cron fields (minute hour day-of-month month day-of-week) or @daily, @hourly, ...", pattern=CRON_SCHEDULE
            ),
            timeZone=string("IANA time zone of the schedule, e.g. Europe/Berlin (empty: the controller's, usually UTC)", pattern=TIME_ZONE),
            concurrencyPolicy={"enum": CONCURRENCY_POLICIES, "description": "What to do when a run is due while the last one still runs"},
            startingDeadlineSeconds=integer(0, 31536000, "Skip a run that could not start within this long"),
            successfulJobsHistoryLimit=integer(0, 1000, "Finished Jobs kept"),
            failedJobsHistoryLimit=integer(0, 1000, "Failed Jobs kept"),
            suspend=boolean("Start no new runs"),
        )
        required += ["schedule", *CRONJOB_KEYS]
    if shape.type in (JOB, CRONJOB):
        props.update(
            completions=integer(1, 100000, "Pods that must succeed"),
            parallelism=integer(0, 100000, "Pods running at once"),
            backoffLimit=integer(0, 1000, "Retries before the job fails"),
            activeDeadlineSeconds=integer(1, 31536000, "Time limit for the whole job"),
            restartPolicy={"enum": RESTART_POLICIES, "description": "Pod restartPolicy"},
        )
        if shape.type == JOB:  # a CronJob's history limits clean up its runs
            props["ttlSecondsAfterFinished"] = integer(0, 31536000, "Delete the finished job after this long")
        required += ["completions", "parallelism", "backoffLimit", "restartPolicy"]
    else:
        props["replicas"] = integer(0, 10000, "Pod replicas (ignored while autoscaling is enabled)")
        props["zoneSpread"] = boolean("Spread pods across zones (topologySpreadConstraints)")
        required.append("replicas")
    if shape.type == API or shape.health:
        props["port"] = integer(1, 65535, "Container port (named http)")
        props["healthPath"] = string("HTTP path of the readiness, liveness and startup probes", pattern="^/")
        required += ["port", "healthPath"]
    if shape.metrics:
        props["metrics"] = obj(
            {
                "enabled": boolean("Expose metrics and add prometheus.io annotations"),
                "port": integer(1, 65535, "Metrics port (named metrics)"),
                "path": string("Metrics HTTP path", pattern="^/"),
            },
            required=("enabled", "port", "path"),
            description="Prometheus metrics endpoint",
        )
    if shape.pdb:
        props["podDisruptionBudget"] = obj(
            {
                "enabled": boolean("Create a PodDisruptionBudget"),
                "minAvailable": {**INT_OR_PERCENT, "description": "Pods that must stay available (number or percent)"},
                "maxUnavailable": {**INT_OR_PERCENT, "description": "Pods that may be down (default 1)"},
            },
            required=("enabled",),
            description="PodDisruptionBudget; set at most one of minAvailable and maxUnavailable",
        )
    if shape.hpa:
        props["autoscaling"] = obj(
            {
                "enabled": boolean("Create a HorizontalPodAutoscaler (replicas is then not rendered)"),
                "minReplicas": integer(1, 10000, "Lowest replica count"),
                "maxReplicas": integer(1, 10000, "Highest replica count"),
                "targetCPUUtilizationPercentage": integer(1, 1000, "Average CPU utilisation target (percent of requests)"),
                "targetMemoryUtilizationPercentage": integer(1, 1000, "Average memory utilisation target (percent of requests)"),
            },
            required=("enabled", "minReplicas", "maxReplicas"),
            description="HorizontalPodAutoscaler (autoscaling/v2)",
        )
    if shape.ingress:
        props["ingress"] = obj(
            {
                "enabled": boolean("Route this app from the chart's Ingress"),
                "path": string("Ingress path", pattern="^/", **{"not": NOT_BAD_PATH}),
                "pathType": {"enum": INGRESS_PATH_TYPES, "description": "Ingress pathType"},
            },
            required=("enabled", "path", "pathType"),
            description="This app's path on the chart's Ingress",
        )
    if shape.gateway:
        props["gateway"] = obj(
            {
                "enabled": boolean("Route this app from the chart's Gateway API routes"),
                "kind": {"enum": list(ROUTE_KINDS), "description": "HTTPRoute (by path) or GRPCRoute (by gRPC service and method)"},
                "path": string("HTTPRoute path match", pattern="^/", maxLength=1024),
                "pathType": {"enum": list(GATEWAY_PATH_TYPES), "description": "HTTPRoute path match type"},
                "port": integer(1, 65535, "Service port the route sends to (default: the app's port; a gRPC port for a GRPCRoute)"),
                "service": string("GRPCRoute: the gRPC service to match, e.g. payments.v1.Ledger (empty: every service)", maxLength=1024),
                "method": string("GRPCRoute: the gRPC method to match (empty: every method)", maxLength=1024),
            },
            required=("enabled", "kind", "path", "pathType"),
            description="This app's rule on the chart's HTTPRoute or GRPCRoute (Gateway API)",
        )
    if shape.netpol:
        props["networkPolicy"] = obj(
            {
                "enabled": boolean("Create a NetworkPolicy that denies ingress to the app's pods except as described in the README"),
                "ingress": k8s_list(
                    "NetworkPolicyIngressRule", "More ingress rules (after the chart's own: same chart, ingress controller, metrics scraper)"
                ),
                "egress": k8s_list("NetworkPolicyEgressRule", "Egress rules; empty: egress open. Given: only these, DNS and pods of the same chart"),
            },
            required=("enabled", "ingress", "egress"),
            description="This app's NetworkPolicy",
        )
    return obj(props, required=required)


PEERS = k8s_list("NetworkPolicyPeer")
NETWORK_POLICY_SCHEMA = obj(
    {
        "ingressFrom": {**PEERS, "description": "Who reaches apis on the chart's Ingress (the ingress controller); empty: nobody"},
        "metricsFrom": {**PEERS, "description": "Who scrapes the metrics ports (Prometheus); empty: nobody"},
    },
    required=("ingressFrom", "metricsFrom"),
    description="Peers every app's NetworkPolicy lets in",
)

GLOBAL_SCHEMA = obj(
    {
        "env": env_schema("Environment variables injected into every container: a string or {valueFrom: ...}"),
        "envFrom": {**ENV_FROM, "description": "Secrets and ConfigMaps whose keys become env vars in every container"},
        "imagePullSecrets": {**PULL_SECRETS, "description": "Names of registry Secrets for every pod"},
        "image": obj(
            {
                "registry": string(
                    "Registry replacing every app's registry (empty: keep each app's)", pattern=r"^$|^[a-z0-9]([-a-z0-9._:/]*[a-z0-9])?$"
                ),
                "tag": {**TAG, "description": "Tag of every app whose own image.tag is empty (empty: the chart's appVersion)"},
            },
            required=("registry", "tag"),
            description="Image settings for every app",
        ),
    },
    required=("env", "envFrom", "imagePullSecrets", "image"),
    description="Settings for every app",
)

INGRESS_SCHEMA = obj(
    {
        "enabled": boolean("Create the chart's Ingress"),
        "host": string(
            "Host name (empty: every host)",
            pattern=f"({HOSTNAME})|^$",
            maxLength=253,
            **{"not": {"type": "string", "pattern": IPV4, "description": "a DNS name, not an IP address"}},
        ),
        "ingressClassName": string("IngressClass (empty: the cluster default)", pattern=f"({DNS_SUBDOMAIN})|^$", maxLength=253),
        "annotations": string_map("Ingress annotations", LABEL_KEY),
        "tls": obj(
            {
                "enabled": boolean("Terminate TLS"),
                "configs": {
                    "type": "array",
                    "description": "TLS secrets and the hosts they serve",
                    "items": obj(
                        {
                            "secretName": string("TLS secret", pattern=DNS_SUBDOMAIN, maxLength=253),
                            "hosts": {"type": "array", "items": {"type": "string", "pattern": HOSTNAME}},
                        },
                        required=("secretName", "hosts"),
                    ),
                },
            },
            required=("enabled", "configs"),
        ),
    },
    required=("enabled", "host", "ingressClassName", "annotations", "tls"),
    description="The chart's Ingress",
)


ROUTE_KINDS = HTTP_ROUTE, GRPC_ROUTE = ("HTTPRoute", "GRPCRoute")
GATEWAY_PATH_TYPES = ("PathPrefix", "Exact", "RegularExpression")
GATEWAY_SCHEMA = obj(
    {
        "enabled": boolean("Create the chart's Gateway API routes"),
        "parentRefs": {
            "type": "array",
            "description": "The Gateways (or their listeners) the routes attach to, e.g. [{name: shared, namespace: gateway-system}]",
            "items": obj(
                {
                    "name": string("Gateway name", pattern=DNS_SUBDOMAIN, maxLength=253),
                    "namespace": string("Gateway namespace (default: the release's)", pattern=DNS_LABEL, maxLength=63),
                    "sectionName": string("A listener of the Gateway", pattern=DNS_SUBDOMAIN, maxLength=253),
                    "port": integer(1, 65535, "A listener port of the Gateway"),
                },
                required=("name",),
            ),
        },
        "hostnames": {
            "type": "array",
            "description": "Host names the routes match (empty: the Gateway's)",
            "items": {"type": "string", "pattern": HOSTNAME, "maxLength": 253},
        },
        "annotations": string_map("Route annotations", LABEL_KEY),
    },
    required=("enabled", "parentRefs", "hostnames", "annotations"),
    description="The chart's Gateway API routes (TLS belongs to the Gateway)",
)


EXTRA_OBJECTS = {
    "type": "array",
    "description": "Whole Kubernetes objects added to the chart as given (e.g. an ExternalSecret, a Role)",
    "items": {
        "type": "object",
        "required": ["apiVersion", "kind", "metadata"],
        "properties": {
            "apiVersion": {"type": "string", "pattern": r"^([a-z0-9.-]+/)?v[0-9]+((alpha|beta)[0-9]+)?$"},
            "kind": {"type": "string", "pattern": "^[A-Z][A-Za-z0-9]*$"},
            "metadata": {
                "type": "object",
                "required": ["name"],
                "properties": {"name": {"type": "string", "pattern": DNS_SUBDOMAIN, "maxLength": 253}},
            },
        },
    },
}


def chart_schema(domain: str, shapes: dict[str, AppShape], with_ingress: bool, with_gateway: bool = False) -> dict:
    """Schema of a chart's values: global, ingress and gateway (when enabled), networkPolicy
    (when an app has one) and `<domain>.apps`."""
    definitions = {shape.key: app_schema(shape) for shape in sorted(set(shapes.values()), key=lambda s: s.key)}
    apps = obj({app: {"$ref": f"#/definitions/{shape.key}"} for app, shape in shapes.items()})
    props = {"global": GLOBAL_SCHEMA, domain: obj({"apps": apps}, required=("apps",)), "extraObjects": EXTRA_OBJECTS}
    if with_ingress:
        props["ingress"] = INGRESS_SCHEMA
    if with_gateway:
        props["gateway"] = GATEWAY_SCHEMA
    if any(shape.netpol for shape in shapes.values()):
        props["networkPolicy"] = NETWORK_POLICY_SCHEMA
    return {
        "$schema": DRAFT07,
        "type": "object",
        "additionalProperties": False,
        "properties": props,
        "required": sorted(props),
        "definitions": {**definitions, **k8s_definitions()},
    }
