"""Typed props of the service constructs: what a Python team passes, with no spec.

Props use Python names (`health_path`); mappings inside them use the Kubernetes
field names (`resources={"limits": {"memory": "1Gi"}}`). Each props object maps
one to one onto an app's block of values.yaml (`to_values`), and the spec
pipeline maps each app's values back onto props (`props_from_values`), so a
construct is built the same way whether a spec or a person wrote it. Checks are
the chart's own: the values schema and the cross-field rules, with errors naming
the construct path and the prop.
"""

from __future__ import annotations

import copy
import dataclasses
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from ..spec import rules
from ..spec.defaults import (
    AUTOSCALING_DEFAULTS,
    CRONJOB_DEFAULTS,
    DEFAULT_GRACE_SECONDS,
    DEFAULT_RESOURCES,
    INGRESS_PATH_TYPE,
    JOB_TTL_SECONDS,
    METRICS_DEFAULTS,
    PULL_POLICY,
    ROUTE_DEFAULTS,
    RUN_DEFAULTS,
    SAFE_CONTAINER_SECURITY,
    SAFE_POD_SECURITY,
    SERVICE_ACCOUNT_DEFAULTS,
    app_defaults,
    deep_merge,
    split_image,
)
from ..spec.errors import did_you_mean
from ..spec.naming import API, CRONJOB, JOB, PROCESSOR
from ..spec.schema import AppShape, app_schema, k8s_definitions
from ..spec.validate import check


class PropsError(ValueError):
    """A prop a construct cannot honour: `<construct path>: <prop>: <what was expected>`."""


@dataclass(frozen=True, kw_only=True)
class Metrics:
    """A Prometheus endpoint: a `metrics` container port (and Service port for apis),
    prometheus.io annotations and, in a chart with the metrics feature, a ServiceMonitor.
    port: default 9090 (the app's port shares it: one `http` port); path: default "/metrics"."""

    enabled: bool = True
    port: int = METRICS_DEFAULTS["port"]
    path: str = METRICS_DEFAULTS["path"]


@dataclass(frozen=True, kw_only=True)
class DisruptionBudget:
    """Read by OptionalPdb. Set at most one bound; without either, maxUnavailable is 1.
    A budget that would block every node drain is refused."""

    enabled: bool = True
    min_available: int | str | None = None
    max_unavailable: int | str | None = None


@dataclass(frozen=True, kw_only=True)
class Autoscaling:
    """Read by OptionalHpa. While enabled, the Deployment has no `replicas` field.
    min_replicas: default 2; max_replicas: default 10; target_cpu_utilization_percentage and
    target_memory_utilization_percentage: default 80 (None: not a target)."""

    enabled: bool = True
    min_replicas: int = AUTOSCALING_DEFAULTS["minReplicas"]
    max_replicas: int = AUTOSCALING_DEFAULTS["maxReplicas"]
    target_cpu_utilization_percentage: int | None = AUTOSCALING_DEFAULTS["targetCPUUtilizationPercentage"]
    target_memory_utilization_percentage: int | None = AUTOSCALING_DEFAULTS["targetMemoryUtilizationPercentage"]


@dataclass(frozen=True, kw_only=True)
class IngressPath:
    """This api's path on the chart's Ingress (DomainIngress). path_type: default "Prefix"."""

    enabled: bool = True
    path: str
    path_type: str = INGRESS_PATH_TYPE


@dataclass(frozen=True, kw_only=True)
class GatewayRoute:
    """This api's rule on the chart's Gateway API routes (DomainRoutes): an HTTPRoute rule
    matching `path`, or with `kind="GRPCRoute"` a GRPCRoute rule matching `service` and
    `method` (both empty: every call). `port`: the Service port (default the app's port).
    kind: default "HTTPRoute"; path_type: default "PathPrefix"."""

    enabled: bool = True
    kind: str = ROUTE_DEFAULTS["kind"]
    path: str
    path_type: str = ROUTE_DEFAULTS["pathType"]
    port: int | None = None
    service: str | None = None
    method: str | None = None


@dataclass(frozen=True, kw_only=True)
class ServiceAccount:
    """The pod's identity. `name` alone uses an existing ServiceAccount; `create=True` makes
    one (OptionalServiceAccount; named `name`, else the app's object name) carrying
    `annotations` such as `eks.amazonaws.com/role-arn`. The API token is mounted only with
    `automount_token=True`."""

    create: bool = SERVICE_ACCOUNT_DEFAULTS["create"]
    name: str = SERVICE_ACCOUNT_DEFAULTS["name"]
    annotations: Mapping[str, str] = field(default_factory=dict)
    automount_token: bool = SERVICE_ACCOUNT_DEFAULTS["automountToken"]


@dataclass(frozen=True, kw_only=True)
class NetworkPolicy:
    """Read by OptionalNetworkPolicy: ingress to the app's pods is denied except from pods
    of the same chart (apis), the ingress controller (apis on the Ingress), the metrics
    scraper (metrics port), and `ingress` (Kubernetes NetworkPolicyIngressRules). Egress
    stays open unless `egress` lists NetworkPolicyEgressRules; then DNS and pods of the
    same chart are allowed too."""

    enabled: bool = True
    ingress: Sequence[Mapping] = ()
    egress: Sequence[Mapping] = ()


BLOCKS = {
    "metrics": Metrics,
    "podDisruptionBudget": DisruptionBudget,
    "autoscaling": Autoscaling,
    "ingress": IngressPath,
    "gateway": GatewayRoute,
    "serviceAccount": ServiceAccount,
    "networkPolicy": NetworkPolicy,
}


@dataclass(frozen=True, kw_only=True)
class WorkloadProps:
    """Props every workload takes.

    image: `repository[:tag]` (required). Without a tag, the chart's global.image.tag or
        appVersion (in a DomainChart); elsewhere a tag is required (no implicit `latest`).
    name: base of the object names (`<name>`, `<name>-service`, `<name>-pdb`, ...);
        default: the construct id. Lower-cased, `_` → `-`; names over 63 characters
        are cut and get a stable hash.
    image_pull_policy: default "Always".
    command, args: default empty (the image's entrypoint).
    env: name → a string, a `kplus.EnvValue`, or `{"valueFrom": <EnvVarSource>}` (secretKeyRef,
        configMapKeyRef, fieldRef, resourceFieldRef); default none. In a DomainChart, global
        env is merged under it.
    env_from: EnvFromSource mappings (`{"secretRef": {"name": ...}, "prefix": ...}`) or
        `kplus.Env.from_secret(...)`/`from_config_map(...)`; default none.
    ports: more named ports, `{"name": "grpc", "port": 9000, "appProtocol": "grpc"}`
        (`protocol` default TCP; `expose: False` keeps one off an api's Service); default none.
    image_pull_secrets: names of registry Secrets (or `kplus.ISecret`s); default none.
    service_account: a ServiceAccount, or a `kplus.IServiceAccount` (used by name); default:
        none. No API token in the pod unless ServiceAccount(automount_token=True).
    network_policy: a NetworkPolicy for OptionalNetworkPolicy; default none.
    pod_labels: extra pod labels (not the chart's own); default none.
    volumes, volume_mounts: Kubernetes Volume mappings or `kplus.Volume`s, and VolumeMount
        mappings (names other than `tmp` and `config`; mounts of secret volumes are
        read-only unless they say otherwise).
    config_files: file name → text, in a ConfigMap `<name>-config` mounted read-only at
        config_mount_path (default `/etc/<id>`); pods roll when the text changes. Default none.
    probes: `{"readiness"|"liveness"|"startup": False or a Kubernetes Probe}`, each merged
        over the default HTTP probe on health_path (a different handler replaces it);
        default none changed.
    affinity: a Kubernetes Affinity; when given it replaces the default preferred
        anti-affinity across nodes. topology_spread_constraints: their labelSelector
        defaults to the app's selector. priority_class_name, runtime_class_name: default
        none. termination_grace_period_seconds: default 30. lifecycle (e.g.
        `{"preStop": {"sleep": {"seconds": 5}}}`), host_aliases, dns_config: default none.
    init_containers: Kubernetes Containers run to completion before the app starts.
        sidecars: Kubernetes Containers started before the app and stopped after it
        (native sidecars: init containers with restartPolicy Always, Kubernetes 1.29+).
        Both need a name and an image with a tag or digest; their resources and
        securityContext are merged over the app container's safe defaults. Default none.
    pod_spec, container: more Kubernetes fields of the pod spec and of the app container
        (e.g. `{"shareProcessNamespace": True}`, `{"workingDir": "/srv"}`); a field the
        chart sets is refused with the name of the prop that sets it. Default none.
    resources: requests/limits, merged over 100m/128Mi requests and 500m/256Mi limits.
    security_context, pod_security_context: merged over the safe defaults (non-root
        UID/GID 10001, read-only root filesystem, no privilege escalation, all
        capabilities dropped, seccomp RuntimeDefault).
    pod_annotations, node_selector: default none. tolerations: default none.
    """

    image: str
    name: str | None = None
    image_pull_policy: str = PULL_POLICY
    command: Sequence[str] = ()
    args: Sequence[str] = ()
    env: Mapping[str, str | Mapping] = field(default_factory=dict)
    env_from: Sequence[Mapping] = ()
    ports: Sequence[Mapping] = ()
    image_pull_secrets: Sequence[str] = ()
    service_account: ServiceAccount | None = None
    network_policy: NetworkPolicy | None = None
    pod_labels: Mapping[str, str] = field(default_factory=dict)
    volumes: Sequence[Mapping] = ()
    volume_mounts: Sequence[Mapping] = ()
    config_files: Mapping[str, str] | None = None
    config_mount_path: str | None = None
    probes: Mapping = field(default_factory=dict)
    affinity: Mapping = field(default_factory=dict)
    topology_spread_constraints: Sequence[Mapping] = ()
    priority_class_name: str = ""
    termination_grace_period_seconds: int = DEFAULT_GRACE_SECONDS
    lifecycle: Mapping = field(default_factory=dict)
    host_aliases: Sequence[Mapping] = ()
    dns_config: Mapping = field(default_factory=dict)
    runtime_class_name: str = ""
    init_containers: Sequence[Mapping] = ()
    sidecars: Sequence[Mapping] = ()
    pod_spec: Mapping = field(default_factory=dict)
    container: Mapping = field(default_factory=dict)
    resources: Mapping = field(default_factory=lambda: copy.deepcopy(DEFAULT_RESOURCES))
    security_context: Mapping = field(default_factory=lambda: copy.deepcopy(SAFE_CONTAINER_SECURITY))
    pod_security_context: Mapping = field(default_factory=lambda: copy.deepcopy(SAFE_POD_SECURITY))
    pod_annotations: Mapping[str, str] = field(default_factory=dict)
    node_selector: Mapping[str, str] = field(default_factory=dict)
    tolerations: Sequence[Mapping] = ()


@dataclass(frozen=True, kw_only=True)
class DeploymentProps(WorkloadProps):
    """Props of a Deployment-based app (ApiService, ProcessorService), beyond WorkloadProps.

    replicas: default 2 for apis, 1 for processors; not rendered while autoscaling is on.
    zone_spread: spread pods across zones too (default False; hosts always).
    port, health_path: the `http` container port and the HTTP path of the readiness,
        liveness and startup probes. Apis: default 8000 and "/health". Processors:
        default none (no port, no probes); give health_path to get both.
    metrics: a Metrics endpoint, default none.
    pod_disruption_budget: a DisruptionBudget for OptionalPdb, default none.
    autoscaling: an Autoscaling block for OptionalHpa, default none.
    """

    replicas: int | None = None
    zone_spread: bool = False
    port: int | None = None
    health_path: str | None = None
    metrics: Metrics | None = None
    pod_disruption_budget: DisruptionBudget | None = None
    autoscaling: Autoscaling | None = None


@dataclass(frozen=True, kw_only=True)
class ApiProps(DeploymentProps):
    """Props of an ApiService: DeploymentProps, plus ingress: an IngressPath on the chart's
    Ingress, and gateway: a GatewayRoute on its Gateway API routes (default none)."""

    ingress: IngressPath | None = None
    gateway: GatewayRoute | None = None


@dataclass(frozen=True, kw_only=True)
class ProcessorProps(DeploymentProps):
    """Props of a ProcessorService: DeploymentProps (no Service, probes only with health_path)."""


@dataclass(frozen=True, kw_only=True)
class RunProps(WorkloadProps):
    """Props of pods that run to completion, beyond WorkloadProps.

    completions (default 1), parallelism (1), backoff_limit (3),
    active_deadline_seconds (3600), restart_policy ("Never" or "OnFailure", default "Never").
    """

    completions: int = RUN_DEFAULTS["completions"]
    parallelism: int = RUN_DEFAULTS["parallelism"]
    backoff_limit: int = RUN_DEFAULTS["backoffLimit"]
    active_deadline_seconds: int = RUN_DEFAULTS["activeDeadlineSeconds"]
    restart_policy: str = RUN_DEFAULTS["restartPolicy"]


@dataclass(frozen=True, kw_only=True)
class JobProps(RunProps):
    """Props of a JobService, beyond RunProps.

    ttl_seconds_after_finished: delete the finished Job after this long (86400).
    hook: Helm hooks, e.g. "pre-install,pre-upgrade" (default none: a plain Job named
        after a hash of its inputs, so a changed job is a new object).
    """

    ttl_seconds_after_finished: int = JOB_TTL_SECONDS
    hook: str = ""


@dataclass(frozen=True, kw_only=True)
class CronJobProps(RunProps):
    """Props of a CronJobService, beyond RunProps (which set each run's Job).

    schedule: five cron fields ("30 2 * * *") or @hourly, @daily, ... (required).
    time_zone: IANA zone of the schedule, e.g. "Europe/Berlin" (default: the controller's).
    concurrency_policy: "Forbid" (default: a run due while the last one runs is skipped),
        "Allow" or "Replace".
    starting_deadline_seconds: skip a run that could not start within this long (600).
    successful_jobs_history_limit (3), failed_jobs_history_limit (1): finished Jobs kept
        (they, not a TTL, clean up a CronJob's runs).
    suspend: start no new runs (False).
    """

    schedule: str
    time_zone: str = CRONJOB_DEFAULTS["timeZone"]
    concurrency_policy: str = CRONJOB_DEFAULTS["concurrencyPolicy"]
    starting_deadline_seconds: int = CRONJOB_DEFAULTS["startingDeadlineSeconds"]
    successful_jobs_history_limit: int = CRONJOB_DEFAULTS["successfulJobsHistoryLimit"]
    failed_jobs_history_limit: int = CRONJOB_DEFAULTS["failedJobsHistoryLimit"]
    suspend: bool = CRONJOB_DEFAULTS["suspend"]


PROPS_BY_TYPE = {API: ApiProps, PROCESSOR: ProcessorProps, JOB: JobProps, CRONJOB: CronJobProps}
NOT_VALUES = ("name", "image", "image_pull_policy", "hook")  # props that are not one values key


# Values keys whose capitals are not one word each.
_CAMEL = {"target_cpu_utilization_percentage": "targetCPUUtilizationPercentage"}
_SNAKE = {v: k for k, v in _CAMEL.items()}


def camel(name: str) -> str:
    """A prop name as its values key: `health_path` → `healthPath`."""
    head, *rest = name.split("_")
    return _CAMEL.get(name) or head + "".join(part[:1].upper() + part[1:] for part in rest)


def snake(name: str) -> str:
    """A values key as its prop name: `healthPath` → `health_path`."""
    return _SNAKE.get(name) or re.sub(r"(?<!^)([A-Z])", r"_\1", name).lower()


def make_props(cls, construct, kwargs: dict):
    """`cls(**kwargs)`, with unknown or missing props reported against the construct
    (whose path is read only for a message: each read is a jsii round trip)."""
    names = {f.name for f in dataclasses.fields(cls)}
    for key in kwargs:
        if key not in names:
            raise PropsError(f"{construct.node.path}: {key}: unknown prop{did_you_mean(key, names)}; expected one of: {', '.join(sorted(names))}")
    missing = [f.name for f in dataclasses.fields(cls) if f.name not in kwargs and f.default is f.default_factory is dataclasses.MISSING]
    if missing:
        raise PropsError(f"{construct.node.path}: {missing[0]}: required prop is missing")
    return cls(**kwargs)


def shape_of(kind: str, props: WorkloadProps) -> AppShape:
    """Which knobs the app has (apps of one shape share one schema definition)."""
    config = props.config_files is not None
    netpol = props.network_policy is not None
    if kind in (JOB, CRONJOB):
        return AppShape(type=kind, config=config, netpol=netpol)
    health = kind == API or props.health_path is not None
    return AppShape(
        type=kind,
        health=health,
        pdb=props.pod_disruption_budget is not None,
        hpa=props.autoscaling is not None,
        ingress=getattr(props, "ingress", None) is not None,
        gateway=getattr(props, "gateway", None) is not None,
        metrics=props.metrics is not None,
        config=config,
        netpol=netpol,
    )


def to_values(kind: str, props: WorkloadProps, app: str, construct) -> tuple[AppShape, dict]:
    """(shape, this app's values block) for the props; PropsError when they break a rule."""
    if not isinstance(props.image, str) or not props.image:
        raise PropsError(f"{construct.node.path}: image: expected 'repository[:tag]', got {props.image!r}")
    repository, tag = split_image(props.image)
    if props.config_mount_path is not None and props.config_files is None:
        raise PropsError(f"{construct.node.path}: config_mount_path: applies only with config_files")
    shape = shape_of(kind, props)
    given: dict = {"image": {"repository": repository, "tag": tag, "pullPolicy": props.image_pull_policy}}
    for f in dataclasses.fields(props):
        value = getattr(props, f.name)
        if f.name in NOT_VALUES or value is None:
            continue
        if dataclasses.is_dataclass(value):
            value = {camel(k): list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(value).items() if v is not None}
        elif isinstance(value, (tuple, list)):
            value = copy.deepcopy(list(value))
        elif isinstance(value, Mapping):
            value = copy.deepcopy(dict(value))
        given[camel(f.name)] = value
    if kind == PROCESSOR and props.port is not None and props.health_path is None:
        raise PropsError(f"{construct.node.path}: port: a processor has a port only with a health_path")
    values = deep_merge(app_defaults(shape, app, repository, tag), given)
    schema = {**app_schema(shape), "definitions": k8s_definitions()}
    problems = check(values, schema) or rules.app_problems(values) + _block_problems(values)
    if problems:
        where, message = problems[0]
        raise PropsError(f"{construct.node.path}: {prop_name(where)}: {message}")
    return shape, values


def _block_problems(values: dict) -> list[tuple[tuple, str]]:
    hpa, pdb = values.get("autoscaling"), values.get("podDisruptionBudget")
    problems = []
    if hpa and hpa["minReplicas"] > hpa["maxReplicas"]:
        problems.append((("autoscaling", "minReplicas"), rules.MIN_OVER_MAX))
    if pdb and pdb["enabled"]:
        found = rules.pdb_problem(pdb, hpa["minReplicas"] if hpa and hpa["enabled"] else values["replicas"])
        if found:
            problems.append((("podDisruptionBudget", found[0]), found[1]))
    return problems


def prop_name(values_path: tuple) -> str:
    """A values path as the prop a person wrote: `autoscaling.min_replicas`, `resources.limits.cpu`."""
    if not values_path:
        return "<props>"
    head, *rest = values_path
    if head == "image":
        return "image" if not rest or rest[0] != "pullPolicy" else "image_pull_policy"
    if head in BLOCKS and rest and isinstance(rest[0], str):
        rest[0] = snake(rest[0])
    return ".".join([snake(str(head)), *(f"[{p}]" if isinstance(p, int) else str(p) for p in rest)]).replace(".[", "[")


def vars_of(props: WorkloadProps) -> dict:
    """The props as keyword arguments (blocks stay dataclasses)."""
    return {f.name: getattr(props, f.name) for f in dataclasses.fields(props)}


def props_from_values(kind: str, name: str, values: dict, hook: str = "") -> WorkloadProps:
    """The props that rebuild an app's values block exactly (the spec pipeline's one path)."""
    cls = PROPS_BY_TYPE[kind]
    fields = {f.name for f in dataclasses.fields(cls)}
    kwargs: dict = {
        "name": name,
        "image": ":".join(str(part) for part in (values["image"]["repository"], values["image"]["tag"]) if part != ""),
        "image_pull_policy": values["image"]["pullPolicy"],
    }
    if kind == JOB:
        kwargs["hook"] = hook
    for key, value in values.items():
        prop = snake(key)
        if prop not in fields or prop in kwargs:
            continue
        block = BLOCKS.get(key)
        kwargs[prop] = block(**{snake(k): v for k, v in value.items()}) if block else value
    return cls(**kwargs)
