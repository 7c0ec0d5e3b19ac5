"""Every example chart through a release's life on a real API server, with
Helm 3 and Helm 4: install, upgrade, rollback, uninstall; a bad `--set` that
must be refused before anything reaches the server; and values the chart
accepts, which the server must accept too (server-side dry run).

One namespace per (Helm, chart) pair (`e2e-h3-<chart>`). The four lifecycle
tests of a pair share it through the module-scoped, parametrized `release`
fixture: pytest runs all tests of one parameter before the next, in the order
they are written here, so each step starts from the state the previous one
left (a step whose predecessor failed is skipped, naming it). Namespaces are
deleted at the end without waiting for them to go.

kwok runs every pod bound to its node and completes Job pods at once, so
`--wait --wait-for-jobs` works for every chart, hooks included (Helm always
waits for a hook Job to complete).
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from conftest import EXAMPLE_CHARTS, HELMS, installed_crds, render, run_cli, run_helm, tool
from test_real_services import SCHEDULING_SETS

from constructs_lib.manifests import load_documents

from .conftest import REAL_CRDS, ApiError, ControlPlane, create_crds

pytestmark = pytest.mark.e2e

RELEASE = "release"  # the release name `render` uses, so its output is what we install
WAIT = ("--wait", "--wait-for-jobs", "--timeout", "120s")
APP = "enhanced-helm-charts/app"  # carried by every object of an app (README: Names)
HOOK = "helm.sh/hook"

# Every kind the generator can emit: the objects of a release are listed from
# these. A render with any other kind fails the test, so none goes unchecked.
KINDS = {
    "Deployment": "apps/v1",
    "Service": "v1",
    "Job": "batch/v1",
    "CronJob": "batch/v1",
    "PodDisruptionBudget": "policy/v1",
    "HorizontalPodAutoscaler": "autoscaling/v2",
    "Ingress": "networking.k8s.io/v1",
    "HTTPRoute": "gateway.networking.k8s.io/v1",
    "GRPCRoute": "gateway.networking.k8s.io/v1",
    "ServiceMonitor": "monitoring.coreos.com/v1",
    "ServiceAccount": "v1",
    "ConfigMap": "v1",
    "NetworkPolicy": "networking.k8s.io/v1",
    "Role": "rbac.authorization.k8s.io/v1",  # the payments example's extraObjects
    "RoleBinding": "rbac.authorization.k8s.io/v1",
}
# Helm's ownership annotation is on every object of a release but hooks, which carry our
# managed-by label; extraObjects carry no labels of ours. The namespace's own objects have neither.
RELEASE_NAME = "meta.helm.sh/release-name"
MANAGED_BY = "app.kubernetes.io/managed-by"


def of_release(obj: dict) -> bool:
    meta = obj["metadata"]
    return (meta.get("annotations") or {}).get(RELEASE_NAME) == RELEASE or (meta.get("labels") or {}).get(MANAGED_BY) == "Helm"


# What the payments example refers to and does not create: references to objects
# that exist in the cluster (a ServiceAccount, Secrets, a shared ConfigMap).
PAYMENTS_PREREQUISITES = (
    ("/api/v1/namespaces/{ns}/serviceaccounts", {"metadata": {"name": "checkout"}}),
    ("/api/v1/namespaces/{ns}/configmaps", {"metadata": {"name": "payments-shared"}, "data": {"REGION": "eu-west-1"}}),
    *(
        ("/api/v1/namespaces/{ns}/secrets", {"metadata": {"name": name}, "stringData": data})
        for name, data in (
            ("ledger-db", {"password": "e2e-only"}),
            ("stripe", {"api-key": "e2e-only"}),
            ("kafka-credentials", {"USER": "e2e", "PASSWORD": "e2e-only"}),
            ("kafka-client-tls", {"tls.crt": "-", "tls.key": "-"}),
            ("registry-credentials", {"note": "an image pull secret in a real cluster"}),
        )
    ),
)

CONTAINER = "spec.template.spec.containers.0"
IMAGE = f"{CONTAINER}.image"
COMMAND = f"{CONTAINER}.command"
ENV = f"{CONTAINER}.env"
REPLICAS = "spec.replicas"
INGRESS_PATHS = "spec.rules.0.http.paths.*.path"
ABSENT = object()  # an expected value: the field is not set


@dataclass(frozen=True)
class Expect:
    """After the upgrade, `path` of the one live `kind` of `app` (by its
    enhanced-helm-charts/app label; None: the one object of that kind in the
    namespace, e.g. the chart's Ingress) is `value`."""

    kind: str
    app: str | None
    path: str
    value: Any


@dataclass(frozen=True)
class Upgrade:
    sets: tuple[str, ...]  # `--set` values (`--set-string` where they start with "string:")
    expect: tuple[Expect, ...]
    gone: tuple[tuple[str, str | None], ...] = ()  # (kind, app): no such live object after the upgrade
    renamed_jobs: tuple[str, ...] = ()  # apps whose plain Job gets a new name (its old one is pruned)
    rolled: tuple[str, ...] = ()  # apps whose Deployment gets a new ReplicaSet (its pod template changed)

    def args(self) -> list[str]:
        out = []
        for value in self.sets:
            out += ["--set-string", value.removeprefix("string:")] if value.startswith("string:") else ["--set", value]
        return out


UPGRADES = {
    "batch-jobs-chart": Upgrade(
        sets=(
            "batch.apps.nightly_report.image.tag=2.0.0",
            "batch.apps.nightly_report.schedule=0 3 * * 1-5",
            "batch.apps.nightly_report.suspend=true",
            "batch.apps.backfill_report.image.tag=2.0.0",
            "batch.apps.db_migrate.image.tag=2.0.0",
            "batch.apps.queue_worker.command={work,--queue,reports}",
            "batch.apps.queue_worker.replicas=2",
            "batch.apps.queue_worker.podDisruptionBudget.enabled=false",
        ),
        expect=(
            Expect(
                "CronJob",
                "nightly_report",
                "spec.jobTemplate.spec.template.spec.containers.0.image",
                "registry.example.com/batch-nightly-report:2.0.0",
            ),
            Expect("CronJob", "nightly_report", "spec.schedule", "0 3 * * 1-5"),
            Expect("CronJob", "nightly_report", "spec.suspend", True),
            Expect("Job", "backfill_report", IMAGE, "registry.example.com/batch-backfill-report:2.0.0"),
            Expect("Job", "db_migrate", IMAGE, "registry.example.com/batch-db-migrate:2.0.0"),
            Expect("Deployment", "queue_worker", COMMAND, ["work", "--queue", "reports"]),
            Expect("Deployment", "queue_worker", REPLICAS, 2),
        ),
        gone=(("PodDisruptionBudget", "queue_worker"),),
        renamed_jobs=("backfill_report",),
    ),
    "demo-api-chart": Upgrade(
        sets=(
            "demo.apps.hello_api.image.tag=2.0.0",
            "demo.apps.hello_api.command={serve,--fast}",
            "demo.apps.hello_api.replicas=3",
            "demo.apps.hello_api.port=8080",
            "demo.apps.hello_api.metrics.enabled=false",
            "demo.apps.hello_api.ingress.enabled=false",
            "demo.apps.hello_api.gateway.path=/v2",
        ),
        expect=(
            Expect("Deployment", "hello_api", IMAGE, "registry.example.com/demo-hello-api:2.0.0"),
            Expect("Deployment", "hello_api", COMMAND, ["serve", "--fast"]),
            Expect("Deployment", "hello_api", REPLICAS, 3),
            Expect("Deployment", "hello_api", f"{CONTAINER}.ports.0.containerPort", 8080),
            Expect("Service", "hello_api", "spec.ports.0.port", 8080),
            Expect("HTTPRoute", None, "spec.rules.0.matches.0.path.value", "/v2"),
            Expect("HTTPRoute", None, "spec.rules.0.backendRefs.0.port", 8080),
        ),
        # The only ingress path off: the chart's Ingress goes with it.
        gone=(("ServiceMonitor", "hello_api"), ("Ingress", None)),
    ),
    "manman-production-chart": Upgrade(
        sets=(
            "manman.apps.experience_api.image.tag=2.0.0",
            "manman.apps.experience_api.command={serve,--fast}",
            "manman.apps.status_processor.replicas=3",
            "manman.apps.status_api.podDisruptionBudget.enabled=false",
            "manman.apps.status_api.autoscaling.enabled=false",
            "manman.apps.experience_api.ingress.enabled=false",
        ),
        expect=(
            Expect("Deployment", "experience_api", IMAGE, "registry.example.com/manman/experience-api:2.0.0"),
            Expect("Deployment", "experience_api", COMMAND, ["serve", "--fast"]),
            Expect("Deployment", "status_processor", REPLICAS, 3),
            # Without its HPA the Deployment gets its replicas from values again.
            Expect("Deployment", "status_api", REPLICAS, 2),
            Expect("Ingress", None, INGRESS_PATHS, ["/status-api", "/worker-dal-api"]),
        ),
        gone=(("PodDisruptionBudget", "status_api"), ("HorizontalPodAutoscaler", "status_api")),
    ),
    "payments-ledger-chart": Upgrade(
        sets=(
            "string:payments.apps.ledger_api.configFiles.ledger\\.yaml=currency: USD",
            "global.image.tag=3.3.0",
            "payments.apps.ledger_api.serviceAccount.annotations.team=ledger",
            "payments.apps.kafka_consumer.replicas=2",
            "payments.apps.ledger_api.probes.liveness.httpGet.path=/livez",
            "payments.apps.checkout_api.podSpec.shareProcessNamespace=true",
            "payments.apps.kafka_consumer.container.workingDir=/srv",
            "payments.apps.checkout_api.networkPolicy.enabled=false",
            "networkPolicy.ingressFrom[0].namespaceSelector.matchLabels.team=edge",
        ),
        expect=(
            Expect("Deployment", "checkout_api", "spec.template.spec.shareProcessNamespace", True),
            Expect("NetworkPolicy", "ledger_api", "spec.ingress.1.from.0.namespaceSelector.matchLabels.team", "edge"),
            Expect("Deployment", "kafka_consumer", f"{CONTAINER}.workingDir", "/srv"),
            Expect("Deployment", "ledger_api", "spec.template.spec.initContainers.0.restartPolicy", "Always"),
            Expect("Deployment", "ledger_api", f"{CONTAINER}.livenessProbe.httpGet.path", "/livez"),
            Expect("Deployment", "ledger_api", f"{CONTAINER}.readinessProbe.httpGet.path", "/health"),
            Expect("Deployment", "ledger_api", IMAGE, "registry.example.com/payments/payments-ledger-api:3.3.0"),
            Expect("Deployment", "kafka_consumer", IMAGE, "registry.example.com/payments/payments-kafka-consumer:3.3.0"),
            Expect("Job", "ledger_migrate", IMAGE, "registry.example.com/payments/payments-ledger-migrate:3.3.0"),
            Expect("Deployment", "kafka_consumer", REPLICAS, 2),
            Expect("ServiceAccount", "ledger_api", "metadata.annotations.team", "ledger"),
            Expect("ConfigMap", "ledger_api", "data", {"ledger.yaml": "currency: USD"}),
        ),
        gone=(("NetworkPolicy", "checkout_api"),),
        rolled=("ledger_api",),
    ),
    "myapp-dev-chart": Upgrade(
        sets=(
            "myapp.apps.api_server.image.tag=2.0.0",
            "myapp.apps.api_server.command={start-my-service,--verbose}",
            "myapp.apps.api_server.replicas=2",
            "string:global.env.LOG_LEVEL=info",
        ),
        expect=(
            Expect("Deployment", "api_server", IMAGE, "registry.example.com/myapp/myapp-api-server:2.0.0"),
            Expect("Deployment", "api_server", COMMAND, ["start-my-service", "--verbose"]),
            Expect("Deployment", "api_server", REPLICAS, 2),
            Expect("Deployment", "api_server", ENV, [{"name": "APP_ENV", "value": "dev"}, {"name": "LOG_LEVEL", "value": "info"}]),
        ),
    ),
    "myapp-prod-chart": Upgrade(
        sets=(
            # HPA off: replicas count again, and must stay above the PDB's minAvailable 2.
            "myapp.apps.api_server.autoscaling.enabled=false",
            "myapp.apps.api_server.replicas=4",
            "myapp.apps.background_processor.image.tag=2.4.0",
            "myapp.apps.background_processor.podDisruptionBudget.enabled=false",
            "ingress.tls.enabled=false",
        ),
        expect=(
            Expect("Deployment", "api_server", REPLICAS, 4),
            Expect("Deployment", "background_processor", IMAGE, "registry.example.com/myapp/myapp-background-processor:2.4.0"),
            Expect("Ingress", None, "spec.tls", ABSENT),
            Expect("Ingress", None, INGRESS_PATHS, ["/api-server"]),
        ),
        gone=(("HorizontalPodAutoscaler", "api_server"), ("PodDisruptionBudget", "background_processor")),
    ),
    "myapp-staging-chart": Upgrade(
        sets=(
            "myapp.apps.api_server.image.tag=0.2.0",
            "myapp.apps.api_server.command={start-my-service,--staging}",
            "myapp.apps.background_processor.replicas=3",
            "myapp.apps.api_server.podDisruptionBudget.enabled=false",
            "ingress.enabled=false",
        ),
        expect=(
            Expect("Deployment", "api_server", IMAGE, "registry.example.com/myapp/myapp-api-server:0.2.0"),
            Expect("Deployment", "api_server", COMMAND, ["start-my-service", "--staging"]),
            Expect("Deployment", "background_processor", REPLICAS, 3),
        ),
        gone=(("PodDisruptionBudget", "api_server"), ("Ingress", None)),
    ),
}

# Values the chart must refuse at install time (schema or validate.yaml),
# with a piece of the message that names the problem.
BAD_SETS = {
    "batch-jobs-chart": (
        ("batch.apps.nightly_report.bogus=1", "'bogus' not allowed"),
        ("batch.apps.nightly_report.schedule=not a cron", "/batch/apps/nightly_report/schedule"),
        ("batch.apps.queue_worker.podDisruptionBudget.maxUnavailable=0", "would block every node drain"),
    ),
    "demo-api-chart": (
        ("demo.apps.hello_api.bogus=1", "'bogus' not allowed"),
        ("demo.apps.hello_api.replicas=-1", "/demo/apps/hello_api/replicas"),
    ),
    "manman-production-chart": (
        ("manman.apps.status_api.bogus=1", "'bogus' not allowed"),
        ("manman.apps.status_processor.podDisruptionBudget.minAvailable=1", "would block every node drain"),
    ),
    "payments-ledger-chart": (
        # A misspelled EnvVarSource key, named by the schema before anything reaches the server.
        ("payments.apps.ledger_api.env.DB_PASSWORD.valueFrom.secretKeyRf.name=x", "secretKeyRf"),
        ("payments.apps.ledger_api.podLabels.app\\.kubernetes\\.io/name=x", "is set by the chart and selects the app's pods"),
    ),
    "myapp-dev-chart": (
        # The chart has no pdb feature: the key is not in its values.
        ("myapp.apps.api_server.podDisruptionBudget.enabled=true", "'podDisruptionBudget' not allowed"),
        ("myapp.apps.api_server.replicas=many", "/myapp/apps/api_server/replicas"),
    ),
    "myapp-prod-chart": (
        ("ingress.bogus=1", "'bogus' not allowed"),
        ("myapp.apps.api_server.podDisruptionBudget.minAvailable=3", "would block every node drain"),
    ),
    "myapp-staging-chart": (
        ("myapp.apps.background_processor.bogus=1", "'bogus' not allowed"),
        ("myapp.apps.api_server.podDisruptionBudget.minAvailable=2", "would block every node drain"),
    ),
}


# Values `helm template` accepts must create on the server too: each case is
# either refused by the chart (schema, validate.yaml) with a message naming the
# key, or accepted by a server-side dry run. (chart, --set arguments, None or
# the refusal's message):
# the first cases are edge values the chart must accept and the server does;
# the others are API server rules (found by this test) the chart now checks itself.
SERVER_CASES = [
    pytest.param("manman-production-chart", ("--set-string", "ingress.host=*.example.com"), None, id="wildcard-host"),
    pytest.param(
        "manman-production-chart",
        ("--set", "manman.apps.status_api.ingress.pathType=ImplementationSpecific", "--set-string", "manman.apps.status_api.ingress.path=/(.*)"),
        None,
        id="implementation-specific-path",
    ),
    pytest.param("manman-production-chart", ("--set", "manman.apps.status_processor.replicas=0"), None, id="zero-replicas"),
    pytest.param(
        "batch-jobs-chart",
        ("--set-json", 'batch.apps.nightly_report.tolerations=[{"key":"k","operator":"Exists","effect":"NoExecute","tolerationSeconds":5}]'),
        None,
        id="toleration",
    ),
    pytest.param(
        "manman-production-chart",
        ("--set-string", "manman.apps.status_api.resources.requests.cpu=1"),
        "manman.apps.status_api.resources.requests.cpu: request 1 is above the limit 500m",
        id="requests-above-limits",
        # the API server refuses it too: resources.requests: Invalid value: "1": must be less than or equal to cpu limit of 500m
    ),
    pytest.param(
        "manman-production-chart",
        ("--set-string", "ingress.host=1.2.3.4"),
        "at '/ingress/host'",
        id="ip-host",
        # the API server refuses it too: spec.rules[0].host: Invalid value: "1.2.3.4": must be a DNS name, not an IP address
    ),
    pytest.param(
        "manman-production-chart",
        ("--set-string", "manman.apps.status_api.ingress.path=/a//b"),
        "at '/manman/apps/status_api/ingress/path'",
        id="prefix-path-with-double-slash",
        # the API server refuses it too: spec.rules[0].http.paths[1].path: Invalid value: \"/a//b\": must not contain '//'
    ),
    pytest.param(
        "manman-production-chart",
        ("--set-string", "ingress.ingressClassName=Bad_Class"),
        "at '/ingress/ingressClassName'",
        id="ingress-class-not-dns",
        # the API server refuses it too: spec.ingressClassName: Invalid value: "Bad_Class": a lowercase RFC 1123 subdomain must consist of ...
    ),
    pytest.param(
        "myapp-prod-chart",
        ("--set-json", 'ingress.tls.configs=[{"secretName":"a..b","hosts":["myapp.example.com"]}]'),
        "at '/ingress/tls/configs/0/secretName'",
        id="tls-secret-not-dns",
        # the API server refuses it too: spec.tls[0].secretName: Invalid value: "a..b": a lowercase RFC 1123 subdomain must consist of ...
    ),
    pytest.param(
        "manman-production-chart",
        ("--set", "manman.apps.status_api.podSecurityContext.seccompProfile.type=Localhost"),
        "at '/manman/apps/status_api/podSecurityContext/seccompProfile'",
        id="seccomp-localhost-without-profile",
        # the API server refuses it too: seccompProfile.localhostProfile: Required value: must be set when seccomp type is Localhost
    ),
    pytest.param(
        "manman-production-chart",
        ("--set", "manman.apps.status_api.securityContext.privileged=true"),
        "manman.apps.status_api.securityContext.allowPrivilegeEscalation: must be true while privileged",
        id="privileged-without-escalation",
        # the API server refuses it too: securityContext: cannot set `allowPrivilegeEscalation` to false and `privileged` to true
    ),
    pytest.param(
        "manman-production-chart",
        ("--set-json", 'manman.apps.status_api.tolerations=[{"operator":"Exists","value":"x"}]'),
        "manman.apps.status_api.tolerations[0].value: must be empty when operator is Exists",
        id="toleration-exists-with-value",
        # the API server refuses it too: tolerations[0].operator: Invalid value: \"x\": value must be empty when `operator` is 'Exists'
    ),
    pytest.param(
        "manman-production-chart",
        ("--set-json", 'manman.apps.status_api.nodeSelector={"disk":"x_"}'),
        "at '/manman/apps/status_api/nodeSelector/disk'",
        id="node-selector-value-not-a-label",
        # the API server refuses it too: spec.template.spec.nodeSelector: Invalid value: "x_": a valid label must be ...
    ),
    pytest.param(
        "payments-ledger-chart",
        (
            "--set-json",
            'payments.apps.kafka_consumer.volumes=[{"name":"token","projected":{"sources":[{"serviceAccountToken":'
            '{"path":"token","expirationSeconds":3600,"audience":"vault"}}]}}]',
            "--set-json",
            'payments.apps.kafka_consumer.volumeMounts=[{"name":"token","mountPath":"/var/run/secrets/vault"}]',
        ),
        None,
        id="projected-token-volume",
    ),
    pytest.param(
        "payments-ledger-chart",
        (*SCHEDULING_SETS, "--set-json", 'payments.apps.checkout_api.ports=[{"name":"grpc","port":9000,"appProtocol":"kubernetes.io/h2c"}]'),
        None,
        id="scheduling-and-ports",
    ),
    pytest.param(
        "payments-ledger-chart",
        (
            "--set-json",
            'payments.apps.checkout_api.sidecars=[{"name":"envoy","image":"envoyproxy/envoy:v1.31.2","ports":[{"name":"admin","containerPort":9902}],'
            '"readinessProbe":{"httpGet":{"path":"/ready","port":9902}},"lifecycle":{"preStop":{"sleep":{"seconds":3}}}}]',
            "--set-json",
            'payments.apps.checkout_api.initContainers=[{"name":"seed","image":"busybox:1.36.1","command":["true"],'
            '"volumeMounts":[{"name":"tmp","mountPath":"/tmp"}]}]',
            "--set-json",
            'payments.apps.checkout_api.podSpec={"shareProcessNamespace":true,"os":{"name":"linux"},"schedulingGates":[{"name":"example.com/quota"}]}',
            "--set-json",
            'payments.apps.checkout_api.container={"workingDir":"/srv","terminationMessagePolicy":"FallbackToLogsOnError"}',
        ),
        None,
        id="sidecars-init-containers-and-escape-hatches",
    ),
    pytest.param(
        "payments-ledger-chart",
        ("--set-json", 'payments.apps.kafka_consumer.volumeMounts=[{"name":"kafka-tls","mountPath":"/tmp"}]'),
        "payments.apps.kafka_consumer.volumeMounts[0].mountPath: mount path /tmp is already used",
        id="mount-path-twice",
        # the API server refuses it too: volumeMounts[1].mountPath: Invalid value: "/tmp": must be unique
    ),
    pytest.param(
        "demo-api-chart",
        ("--set", "demo.apps.hello_api.metrics.port=8000"),
        None,
        id="metrics-on-the-app-port",
        # one shared port (FastAPI's instrumentator); before, a second Service port 8000 the server refused
    ),
]


# --- helpers --------------------------------------------------------------


def short(helm_name: str) -> str:
    return helm_name.replace("helm", "h")  # helm3 -> h3


def is_hook(obj: dict) -> bool:
    return HOOK in (obj["metadata"].get("annotations") or {})


def key(obj: dict) -> tuple[str, str]:
    return obj["kind"], obj["metadata"]["name"]


def lookup(obj: Any, path: str) -> Any:
    """A dotted path; numbers index lists, `*` maps over one. ABSENT if missing."""
    head, _, rest = path.partition(".")
    if head == "*":
        return [lookup(item, rest) if rest else item for item in obj]
    try:
        value = obj[int(head)] if isinstance(obj, list) else obj[head]
    except (KeyError, IndexError, TypeError, ValueError):
        return ABSENT
    return lookup(value, rest) if rest else value


def mismatches(want: Any, got: Any, where: str = "") -> list[str]:
    """Where the live object `got` does not carry the rendered `want`: every
    rendered field must come back as written. The server may add fields
    (defaults, status); an empty rendered value may come back missing (Go's
    omitempty). A missing field means the server dropped it."""
    if isinstance(want, dict):
        if not isinstance(got, dict):
            return [f"{where}: rendered a mapping, live has {got!r}"]
        out = []
        for name, value in want.items():
            if name not in got:
                if value not in ({}, [], None, ""):
                    out.append(f"{where}.{name}: rendered {value!r}, missing live (dropped by the server)")
                continue
            out += mismatches(value, got[name], f"{where}.{name}")
        return out
    if isinstance(want, list):
        if not isinstance(got, list) or len(got) != len(want):
            return [f"{where}: rendered {want!r}, live {got!r}"]
        return [m for i, (w, g) in enumerate(zip(want, got, strict=True)) for m in mismatches(w, g, f"{where}[{i}]")]
    return [] if want == got else [f"{where}: rendered {want!r}, live {got!r}"]


# Set by the server or its controllers, never by the chart.
GENERATED_ANNOTATIONS = ("deployment.kubernetes.io/", "batch.kubernetes.io/")
GENERATED_JOB_LABELS = ("batch.kubernetes.io/", "controller-uid", "job-name")


def comparable(kind: str, obj: dict, autoscaled: set[str]) -> dict:
    """What a release decides about a live object: labels, annotations and
    spec, without what the server generates (a Job's selector and pod labels
    carry its uid) and without the replicas of an autoscaled Deployment (its
    HPA owns them)."""
    meta = obj["metadata"]
    spec = copy.deepcopy(obj.get("spec", {}))
    if kind == "Job":
        spec.pop("selector", None)
        labels = spec["template"]["metadata"].get("labels", {})
        spec["template"]["metadata"]["labels"] = {k: v for k, v in labels.items() if not k.startswith(GENERATED_JOB_LABELS)}
    if kind == "Deployment" and meta["name"] in autoscaled:
        spec.pop("replicas", None)
    annotations = {k: v for k, v in (meta.get("annotations") or {}).items() if not k.startswith(GENERATED_ANNOTATIONS)}
    return {"labels": meta.get("labels", {}), "annotations": annotations, "spec": spec}


def api_warnings(stderr: str) -> list[str]:
    """Warnings the API server sent back (deprecations, unknown fields):
    Helm 3 logs them as `Warning: ...`."""
    return [line for line in stderr.splitlines() if "warn" in line.lower()]


# --- fixtures ---------------------------------------------------------------


@pytest.fixture(scope="session")
def crds(control_plane: ControlPlane) -> None:
    """The CRDs the charts need (the demo chart's ServiceMonitor) as prometheus-operator
    publishes them, created once and serving before any chart is installed."""
    installed_crds(*(f.name for f in REAL_CRDS))
    create_crds(control_plane, REAL_CRDS)


@dataclass
class Release:
    """One (Helm, chart) pair: its namespace, and what each step left."""

    plane: ControlPlane = field(repr=False)
    helm: Path
    chart: str
    package: Path
    namespace: str
    done: list[str] = field(default_factory=list)  # the lifecycle steps that passed, in order
    installed: list[dict] = field(default_factory=list, repr=False)  # render of the install
    first: dict = field(default_factory=dict, repr=False)  # comparable live state after the install
    upgraded: list[dict] = field(default_factory=list, repr=False)  # render of the upgrade

    def run(self, *args: Any, check: bool = True):
        return run_helm(self.helm, "--kubeconfig", self.plane.kubeconfig, "--namespace", self.namespace, *args, check=check)

    def render(self, *args: str) -> list[dict]:
        objects = render(self.helm, self.package, *args, namespace=self.namespace)
        unknown = {o["kind"] for o in objects} - KINDS.keys()
        assert not unknown, f"kinds this test does not list: {unknown}; add them to KINDS"
        return objects

    def live(self) -> dict[tuple[str, str], dict]:
        """Every object of the listed kinds in the namespace (with the kind
        and apiVersion a list leaves out of its items)."""
        out = {}
        for kind, api_version in KINDS.items():
            for obj in self.plane.list(self.plane.path(api_version, kind, self.namespace)):
                if of_release(obj):
                    out[(kind, obj["metadata"]["name"])] = {**obj, "apiVersion": api_version, "kind": kind}
        return out

    def replica_sets(self, deployment: dict) -> list[dict]:
        """The ReplicaSets of a live Deployment (one per pod template it has run)."""
        owned = self.plane.list(f"/apis/apps/v1/namespaces/{self.namespace}/replicasets")
        return [r for r in owned if any(o.get("uid") == deployment["metadata"]["uid"] for o in r["metadata"].get("ownerReferences", []))]

    def of_app(self, live: dict, kind: str, app: str | None) -> list[dict]:
        return [o for (k, _), o in live.items() if k == kind and (app is None or o["metadata"].get("labels", {}).get(APP) == app)]

    def state(self, live: dict) -> dict[tuple[str, str], dict]:
        autoscaled = {o["spec"]["scaleTargetRef"]["name"] for (k, _), o in live.items() if k == "HorizontalPodAutoscaler"}
        return {key: comparable(key[0], obj, autoscaled) for key, obj in live.items() if not is_hook(obj)}

    def release_secrets(self) -> list[str]:
        secrets = self.plane.list(f"/api/v1/namespaces/{self.namespace}/secrets")
        return [s["metadata"]["name"] for s in secrets if s["metadata"]["name"].startswith("sh.helm.release.v1.")]

    def require(self, step: str) -> None:
        if step not in self.done:
            pytest.skip(f"needs the {step} step, which did not pass")

    def assert_matches_render(self, rendered: list[dict], live: dict) -> None:
        """The live objects are exactly the rendered ones, each carrying every rendered field."""
        assert sorted(live) == sorted(map(key, rendered)), "live objects differ from the render"
        problems = [f"{k} {n}{m}" for obj in rendered for (k, n) in [key(obj)] for m in mismatches(obj, live[(k, n)])]
        assert not problems, "\n".join(problems)


RELEASE_PARAMS = [pytest.param((h, c), id=f"{short(h)}-{c}") for h in HELMS for c in EXAMPLE_CHARTS]


@pytest.fixture(scope="module", params=RELEASE_PARAMS)
def release(request, control_plane, crds, example_out, example_builds):
    helm_name, chart = request.param
    rel = Release(
        plane=control_plane,
        helm=tool(helm_name),
        chart=chart,
        package=example_out / "packages" / example_builds[chart].package_name,
        namespace=f"e2e-{short(helm_name)}-{chart}",
    )
    control_plane.create("/api/v1/namespaces", {"metadata": {"name": rel.namespace}})
    if chart == "payments-ledger-chart":
        for path, obj in PAYMENTS_PREREQUISITES:
            control_plane.create(path.format(ns=rel.namespace), obj)
    yield rel
    # Not waited for: the namespace controller finishes it in the background.
    control_plane.delete(f"/api/v1/namespaces/{rel.namespace}")


# --- tests ----------------------------------------------------------------


def test_every_example_has_an_upgrade_and_bad_values(example_builds):
    assert set(UPGRADES) == set(BAD_SETS) == set(EXAMPLE_CHARTS) == set(example_builds)


def test_install_creates_every_rendered_object(release: Release):
    result = release.run("install", RELEASE, release.package, *WAIT)
    assert not api_warnings(result.stderr), result.stderr
    release.installed = release.render()
    live = release.live()
    release.assert_matches_render(release.installed, live)

    for obj in release.installed:
        status = live[key(obj)].get("status", {})
        if obj["kind"] == "Deployment":
            # An autoscaled one renders no replicas; its HPA may be scaling it up right now.
            want = obj["spec"].get("replicas", 1)
            assert status.get("readyReplicas", 0) >= want, f"{key(obj)} not ready: {status}"
        if obj["kind"] == "Job":
            conditions = {c["type"]: c["status"] for c in status.get("conditions", [])}
            assert conditions.get("Complete") == "True", f"{key(obj)} not complete: {status}"
    assert release.release_secrets() == [f"sh.helm.release.v1.{RELEASE}.v1"]
    # Helm 4 applies server-side: the API server records its fields under an Apply; Helm 3 writes with Update.
    operation = "Apply" if release.helm.name == "helm4" else "Update"
    for name, obj in live.items():
        managers = {(m.get("manager", ""), m["operation"]) for m in obj["metadata"].get("managedFields", [])}
        assert any(op == operation and "helm" in manager for manager, op in managers), (name, managers)
    release.first = release.state(live)
    release.done.append("install")


def test_upgrade_changes_live_objects(release: Release):
    release.require("install")
    upgrade = UPGRADES[release.chart]
    result = release.run("upgrade", RELEASE, release.package, *WAIT, *upgrade.args())
    assert not api_warnings(result.stderr), result.stderr
    release.upgraded = release.render(*upgrade.args())
    live = release.live()
    # Exactly the new render: whatever it dropped (PDB, HPA, the old Job) is pruned.
    release.assert_matches_render(release.upgraded, live)

    for want in upgrade.expect:
        (obj,) = release.of_app(live, want.kind, want.app)
        assert lookup(obj, want.path) == want.value, f"{want.kind} of {want.app}: {want.path}"
    for kind, app in upgrade.gone:
        assert not release.of_app(live, kind, app), f"{kind} of {app} still there"
        assert release.of_app({key(o): o for o in release.installed}, kind, app), f"{kind} of {app} was never installed"
    for app in upgrade.rolled:
        (deployment,) = release.of_app(live, "Deployment", app)
        assert len(release.replica_sets(deployment)) == 2, f"{app}: the pod template change made no new ReplicaSet"
    for app in upgrade.renamed_jobs:
        (before,) = release.of_app({key(o): o for o in release.installed}, "Job", app)
        (after,) = release.of_app(live, "Job", app)
        assert after["metadata"]["name"] != before["metadata"]["name"]
        assert ("Job", before["metadata"]["name"]) not in live, "the old Job was not pruned"
    release.done.append("upgrade")


def test_rollback_restores_the_first_install(release: Release):
    release.require("upgrade")
    result = release.run("rollback", RELEASE, "1", *WAIT)
    assert not api_warnings(result.stderr), result.stderr
    live = release.live()
    assert sorted(live) == sorted(map(key, release.installed))
    non_hooks = [o for o in release.installed if not is_hook(o)]
    problems = [f"{key(o)}{m}" for o in non_hooks for m in mismatches(o, live[key(o)])]
    assert not problems, "\n".join(problems)
    now = release.state(live)
    for k, first in release.first.items():
        assert now[k] == first, f"{k} differs from the first install"
    # Rollback runs only pre/post-rollback hooks: a pre-install,pre-upgrade hook
    # Job stays as the upgrade left it (documented Helm behaviour).
    for hook in (o for o in release.upgraded if is_hook(o)):
        assert lookup(live[key(hook)], IMAGE) == lookup(hook, IMAGE)
    history = json.loads(release.run("history", RELEASE, "-o", "json").stdout)
    assert [(h["revision"], h["status"]) for h in history] == [(1, "superseded"), (2, "superseded"), (3, "deployed")]
    release.done.append("rollback")


def test_uninstall_leaves_only_hooks_behind(release: Release):
    release.require("rollback")
    release.run("uninstall", RELEASE, "--wait", "--timeout", "120s")
    # Helm does not delete hook resources on uninstall; only the
    # hook-succeeded/hook-failed delete policies remove them, and the
    # migration hook uses before-hook-creation (so its logs stay readable).
    policy = "helm.sh/hook-delete-policy"
    expected = {key(o) for o in release.installed if is_hook(o) and "hook-succeeded" not in o["metadata"]["annotations"].get(policy, "")}
    if release.chart == "batch-jobs-chart":
        assert expected == {("Job", "batch-jobs-chart-db-migrate")}
    assert set(release.live()) == expected
    assert release.release_secrets() == []
    release.done.append("uninstall")


@pytest.mark.parametrize("helm_name", HELMS, ids=short)
@pytest.mark.parametrize("chart", EXAMPLE_CHARTS)
def test_bad_values_are_refused_before_reaching_the_server(control_plane, crds, example_out, example_builds, helm_name, chart):
    helm = tool(helm_name)
    package = example_out / "packages" / example_builds[chart].package_name
    namespace = f"e2e-{short(helm_name)}-{chart}-bad"
    control_plane.create("/api/v1/namespaces", {"metadata": {"name": namespace}})
    try:
        for value, message in BAD_SETS[chart]:
            args = ("--kubeconfig", control_plane.kubeconfig, "--namespace", namespace, "install", RELEASE, package, "--set", value)
            result = run_helm(helm, *args, check=False)
            assert result.returncode != 0, f"--set {value} was accepted"
            assert message in result.stderr, result.stderr
        for kind, api_version in KINDS.items():
            objects = control_plane.list(control_plane.path(api_version, kind, namespace))
            # The namespace's own default ServiceAccount and root CA ConfigMap are not the release's.
            assert [o for o in objects if of_release(o)] == [], kind
        secrets = control_plane.list(f"/api/v1/namespaces/{namespace}/secrets")
        assert [s["metadata"]["name"] for s in secrets] == []
    finally:
        control_plane.delete(f"/api/v1/namespaces/{namespace}")


@pytest.fixture(scope="module")
def dry_run_namespace(control_plane, crds):
    """Where server-side dry runs create (the namespace must exist)."""
    namespace = "e2e-dry-run"
    control_plane.create("/api/v1/namespaces", {"metadata": {"name": namespace}})
    yield namespace
    control_plane.delete(f"/api/v1/namespaces/{namespace}")


@pytest.mark.parametrize("helm_name", HELMS, ids=short)
@pytest.mark.parametrize("chart, args, refusal", SERVER_CASES)
def test_values_the_chart_accepts_the_server_accepts(control_plane, dry_run_namespace, example_out, example_builds, helm_name, chart, args, refusal):
    package = example_out / "packages" / example_builds[chart].package_name
    result = run_helm(tool(helm_name), "template", RELEASE, package, "--namespace", dry_run_namespace, *args, check=refusal is None)
    if refusal is not None:  # refused before anything reaches a server, naming the key
        assert result.returncode != 0
        assert refusal in result.stderr, result.stderr[-2000:]
        return
    refused = []
    for obj in load_documents(result.stdout):
        path = control_plane.path(obj["apiVersion"], obj["kind"], dry_run_namespace)
        try:
            # Strict: an unknown or duplicate field is an error, not a warning.
            control_plane.create(f"{path}?dryRun=All&fieldValidation=Strict", obj)
        except ApiError as err:
            refused.append(f"{obj['kind']}: {err}")
    assert not refused, "\n".join(refused)


@pytest.mark.parametrize("helm_name", HELMS, ids=short)
def test_a_published_chart_installs_from_oci_by_version_and_by_digest(control_plane, crds, registry, example_out, example_builds, helm_name):
    """The release pipeline's last step: `main.py publish`, then `helm install oci://...`."""
    helm = tool(helm_name)
    build = example_builds["demo-api-chart"]
    target = registry.target(f"e2e-{short(helm_name)}")
    published = run_cli("publish", example_out / "packages" / build.package_name, target, "--plain-http", "--helm", helm)
    assert published.returncode == 0, published.stderr
    reference, digest = published.stdout.split()
    repository = reference.rsplit(":", 1)[0]
    deployments = {o["metadata"]["name"] for o in build.objects if o["kind"] == "Deployment"}
    for how, chart in (("version", (repository, "--version", build.model.version)), ("digest", (f"{repository}@{digest}",))):
        namespace = f"e2e-oci-{short(helm_name)}-{how}"
        control_plane.create("/api/v1/namespaces", {"metadata": {"name": namespace}})
        try:
            args = ("--kubeconfig", control_plane.kubeconfig, "--namespace", namespace, "install", RELEASE, *chart, "--plain-http", *WAIT)
            run_helm(helm, *args)
            live = control_plane.list(control_plane.path("apps/v1", "Deployment", namespace))
            assert {d["metadata"]["name"] for d in live if of_release(d)} == deployments, how
        finally:
            control_plane.delete(f"/api/v1/namespaces/{namespace}")
