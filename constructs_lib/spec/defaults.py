"""Every default of an app's values, in one place: the spec pipeline and the
constructs' props both start from these."""

from __future__ import annotations

import copy

from .naming import API, CRONJOB, JOB, PROCESSOR, dashed
from .schema import AppShape

SAFE_CONTAINER_SECURITY = {
    "allowPrivilegeEscalation": False,
    "capabilities": {"drop": ["ALL"]},
    "privileged": False,
    "readOnlyRootFilesystem": True,
    "runAsGroup": 10001,
    "runAsNonRoot": True,
    "runAsUser": 10001,
}
SAFE_POD_SECURITY = {
    "fsGroup": 10001,
    "runAsGroup": 10001,
    "runAsNonRoot": True,
    "runAsUser": 10001,
    "seccompProfile": {"type": "RuntimeDefault"},
}
PROBE_TIMINGS = {
    "readiness": {"periodSeconds": 10, "timeoutSeconds": 2, "failureThreshold": 3},
    "liveness": {"periodSeconds": 20, "timeoutSeconds": 2, "failureThreshold": 3},
    # Up to 5 minutes to start before liveness takes over.
    "startup": {"periodSeconds": 5, "timeoutSeconds": 2, "failureThreshold": 60},
}
DEFAULT_GRACE_SECONDS = 30  # Kubernetes' own default, so the chart writes the field only when it differs
GLOBAL_DEFAULTS = {"env": {}, "envFrom": [], "imagePullSecrets": [], "image": {"registry": "", "tag": ""}}
# A CronJob's own settings; `schedule` has no default. A run the controller could not
# start within 10 minutes (say, while it restarted) is skipped rather than started late.
CRONJOB_DEFAULTS = {
    "timeZone": "",
    "concurrencyPolicy": "Forbid",
    "startingDeadlineSeconds": 600,
    "successfulJobsHistoryLimit": 3,
    "failedJobsHistoryLimit": 1,
    "suspend": False,
}
# The chart's Gateway API routes (gateway feature); parentRefs must be set in the spec.
GATEWAY_DEFAULTS = {"enabled": True, "parentRefs": [], "hostnames": [], "annotations": {}}
# Who every app's NetworkPolicy lets in, by namespace: the ingress controller's
# (ingress-nginx's default namespace) and Prometheus' (kube-prometheus-stack's usual one).
NETWORK_POLICY_DEFAULTS = {
    "ingressFrom": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}}],
    "metricsFrom": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}}],
}
DEFAULT_RESOURCES = {
    "requests": {"cpu": "100m", "memory": "128Mi"},
    "limits": {"cpu": "500m", "memory": "256Mi"},
}

PULL_POLICY = "Always"  # a moved tag is pulled again
# What init containers and sidecars are merged over: the app container's defaults.
MORE_CONTAINER_DEFAULTS = {"imagePullPolicy": PULL_POLICY, "resources": DEFAULT_RESOURCES, "securityContext": SAFE_CONTAINER_SECURITY}
REPLICAS = {API: 2, PROCESSOR: 1}  # two api pods survive one node's drain
API_PORT, HEALTH_PATH = 8000, "/health"
SERVICE_ACCOUNT_DEFAULTS = {"create": False, "name": "", "annotations": {}, "automountToken": False}
METRICS_DEFAULTS = {"enabled": True, "port": 9090, "path": "/metrics"}
AUTOSCALING_DEFAULTS = {
    "enabled": True,
    "minReplicas": 2,
    "maxReplicas": 10,
    "targetCPUUtilizationPercentage": 80,
    "targetMemoryUtilizationPercentage": 80,
}
INGRESS_PATH_TYPE = "Prefix"
ROUTE_DEFAULTS = {"kind": "HTTPRoute", "pathType": "PathPrefix"}
# The Job settings of jobs and of each CronJob run.
RUN_DEFAULTS = {"completions": 1, "parallelism": 1, "backoffLimit": 3, "activeDeadlineSeconds": 3600, "restartPolicy": "Never"}
JOB_TTL_SECONDS = 86400  # a finished plain Job is deleted after a day


def app_defaults(shape: AppShape, app: str, repository: str, tag: str = "") -> dict:
    """The values block of an app of this shape before anyone changed it."""
    values: dict = {
        "enabled": True,
        "type": shape.type,
        "image": {
            "repository": repository,
            "tag": tag,
            "pullPolicy": PULL_POLICY,
        },
        "command": [],
        "args": [],
        "env": {},
        "envFrom": [],
        "ports": [],
        "imagePullSecrets": [],
        "serviceAccount": copy.deepcopy(SERVICE_ACCOUNT_DEFAULTS),
        "podLabels": {},
        "probes": {},
        "affinity": {},
        "topologySpreadConstraints": [],
        "priorityClassName": "",
        "terminationGracePeriodSeconds": DEFAULT_GRACE_SECONDS,
        "lifecycle": {},
        "hostAliases": [],
        "dnsConfig": {},
        "runtimeClassName": "",
        "volumes": [],
        "volumeMounts": [],
        "initContainers": [],
        "sidecars": [],
        "podSpec": {},
        "container": {},
        "resources": copy.deepcopy(DEFAULT_RESOURCES),
        "securityContext": copy.deepcopy(SAFE_CONTAINER_SECURITY),
        "podSecurityContext": copy.deepcopy(SAFE_POD_SECURITY),
        "podAnnotations": {},
        "nodeSelector": {},
        "tolerations": [],
    }
    if shape.config:
        values.update(configFiles={}, configMountPath=f"/etc/{dashed(app)}")
    if shape.type == CRONJOB:
        values.update(CRONJOB_DEFAULTS)
    if shape.netpol:
        values["networkPolicy"] = {"enabled": True, "ingress": [], "egress": []}
    if shape.type in (JOB, CRONJOB):
        values.update(RUN_DEFAULTS)
        if shape.type == JOB:
            values["ttlSecondsAfterFinished"] = JOB_TTL_SECONDS
        return values
    values["replicas"] = REPLICAS[shape.type]
    values["zoneSpread"] = False
    if shape.health:
        values.update(port=API_PORT, healthPath=HEALTH_PATH)
    if shape.metrics:
        values["metrics"] = dict(METRICS_DEFAULTS)
    if shape.pdb:
        values["podDisruptionBudget"] = {"enabled": True}
    if shape.hpa:
        values["autoscaling"] = dict(AUTOSCALING_DEFAULTS)
    if shape.ingress:
        values["ingress"] = {"enabled": True, "path": f"/{dashed(app)}", "pathType": INGRESS_PATH_TYPE}
    if shape.gateway:
        values["gateway"] = {"enabled": True, "kind": ROUTE_DEFAULTS["kind"], "path": f"/{dashed(app)}", "pathType": ROUTE_DEFAULTS["pathType"]}
    return values


def more_container(container: dict, sidecar: bool) -> dict:
    """An init container or sidecar as the pod gets it: over the app container's pull
    policy, safe resources and securityContext; a sidecar is an init container that keeps running."""
    return deep_merge(MORE_CONTAINER_DEFAULTS, container, {"restartPolicy": "Always"} if sidecar else {})


def deep_merge(base: dict, *overrides: dict) -> dict:
    """Mappings merge key by key; anything else (lists included) is replaced."""
    out = dict(base)
    for override in overrides:
        for key, value in override.items():
            if isinstance(value, dict) and isinstance(out.get(key), dict):
                out[key] = deep_merge(out[key], value)
            else:
                out[key] = copy.deepcopy(value)
    return out


def split_image(image: str) -> tuple[str, str]:
    """`repo[:tag]` → (repo, tag); a port in the registry host is not a tag."""
    head, _, last = image.rpartition("/")
    if ":" in last:
        name, _, tag = last.partition(":")
        return (f"{head}/{name}" if head else name), tag
    return image, ""
