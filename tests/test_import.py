"""`main.py import`: draft specs from manifests and charts, the round trip of every example,
warnings for what a spec cannot express, and the documented migration of a hand-written chart."""

import json
import re

import pytest
import yaml
from conftest import EXAMPLE_CHARTS, ROOT, run_cli

from constructs_lib.migrate.importer import DROP, fit, minimal
from constructs_lib.pipeline import build_all, load_models
from constructs_lib.spec.defaults import SAFE_CONTAINER_SECURITY
from constructs_lib.spec.schema import AppShape, app_schema

FIXTURE = ROOT / "tests" / "fixtures" / "handwritten"
MIGRATION_DOC = ROOT / "docs" / "migration.md"
WARNING = re.compile(r"^import: warning: [A-Za-z]+/[-a-z0-9.]+: .+ not mapped( \(.+\))?$|^import: warning: .+: no HTTP probe: .+$")


def run_import(source, domain, chart, tmp_path, *extra):
    """(draft spec, warning lines) of `main.py import`."""
    spec = tmp_path / f"{domain}-{chart}.yaml"
    result = run_cli("import", source, "--domain", domain, "--chart", chart, "-o", spec, *extra)
    assert result.returncode == 0, result.stderr
    warnings = [line for line in result.stderr.splitlines() if line.startswith("import:")]
    assert all(WARNING.match(line) for line in warnings), warnings
    return spec, warnings


def generate(spec) -> list[dict]:
    return build_all(load_models([spec]))[0].objects


# ---- round trip: the generator's own output ------------------------------------------


@pytest.mark.parametrize("name", EXAMPLE_CHARTS)
def test_importing_an_example_rebuilds_every_object(name, example_builds, example_out, tmp_path):
    model = example_builds[name].model
    spec, warnings = run_import(example_out / "manifests" / f"{name}.k8s.yaml", model.domain, model.key, tmp_path)
    assert warnings == []
    assert generate(spec) == example_builds[name].objects  # same objects, same content, same order


def test_the_draft_is_short_and_recovers_app_names_from_the_app_label(example_out, tmp_path):
    spec, _ = run_import(example_out / "manifests" / "manman-production-chart.k8s.yaml", "manman", "production_chart", tmp_path)
    draft = yaml.safe_load(spec.read_text())
    assert draft == {
        "domain": "manman",
        "charts": {
            "production_chart": {
                "app_version": "1.4.2",
                "apps": {
                    "experience_api": {"image": "registry.example.com/manman/experience-api"},
                    "status_api": {},
                    "worker_dal_api": {},
                    "status_processor": {"command": ["python", "-m", "status_processor"]},
                },
                "features": {"pdb": True, "hpa": True, "ingress": True},
                "custom_values": {"global.env.APP_ENV": "production", "ingress.host": "api.manman.com"},
            }
        },
    }


@pytest.mark.helm
def test_importing_a_chart_or_its_package_equals_importing_its_manifests(helm, example_out, tmp_path):
    name = "myapp-prod-chart"
    from_manifests, _ = run_import(example_out / "manifests" / f"{name}.k8s.yaml", "myapp", "prod_chart", tmp_path / "m")
    expected = yaml.safe_load(from_manifests.read_text())
    for source in (example_out / "charts" / name, example_out / "packages" / f"{name}-1.0.0.tgz"):
        spec, warnings = run_import(source, "myapp", "prod_chart", tmp_path / source.name, "--helm", helm, "--namespace", "prod")
        assert warnings == []
        assert yaml.safe_load(spec.read_text()) == expected


# ---- types, names and what cannot be mapped -------------------------------------------

MIXED = """\
apiVersion: v1
kind: ConfigMap
metadata: {name: cart-config}
data: {A: "1"}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: shop-web-cart-api, annotations: {team/owner: payments}}
spec:
  replicas: 3
  selector: {matchLabels: {app: cart}}
  template:
    metadata: {labels: {app: cart}}
    spec:
      serviceAccountName: cart
      containers:
        - name: cart
          image: registry.example.com/shop-cart-api:1.0.0
          imagePullPolicy: Always
          env:
            - {name: MODE, value: fast}
            - name: DB_PASSWORD
              valueFrom: {secretKeyRef: {name: db, key: password}}
          ports: [{name: http, containerPort: 8000, protocol: TCP}]
          readinessProbe: {httpGet: {path: /ready, port: http}, periodSeconds: 10, timeoutSeconds: 2, failureThreshold: 3}
          volumeMounts: [{name: config, mountPath: /etc/cart}]
        - {name: proxy, image: "envoy:1.30"}
      volumes: [{name: config, configMap: {name: cart-config}}]
---
apiVersion: v1
kind: Service
metadata: {name: cart}
spec:
  selector: {app: cart}
  ports: [{name: http, port: 8000, targetPort: http, protocol: TCP}]
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: cart}
spec: {minAvailable: 3, selector: {matchLabels: {app: cart}}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: shop-web-email-worker}
spec:
  template:
    metadata: {labels: {app: email}}
    spec:
      containers: [{name: app, image: "registry.example.com/shop-email-worker:1.0.0"}]
---
apiVersion: v1
kind: Service
metadata: {name: email}
spec:
  selector: {app: email}
  ports: [{name: http, port: 8000, targetPort: 8000}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: report-api}
spec:
  replicas: 1
  template:
    spec:
      containers: [{name: app, image: "registry.example.com/other/report:2.0", imagePullPolicy: Always}]
---
apiVersion: batch/v1
kind: Job
metadata: {name: shop-web-migrate}
spec:
  template:
    spec:
      restartPolicy: OnFailure
      containers: [{name: app, image: "registry.example.com/shop-migrate:1.0.0", args: ["--all"]}]
"""


def test_types_names_and_kubernetes_defaults_of_foreign_manifests(tmp_path):
    source = tmp_path / "mixed.yaml"
    source.write_text(MIXED)
    spec, _ = run_import(source, "shop", "web", tmp_path)
    apps = yaml.safe_load(spec.read_text())["charts"]["web"]["apps"]
    assert apps == {
        # Named like an api and served by a Service; the PDB would block drains, so it keeps the safe default.
        # Its config file, Secret reference, ServiceAccount and own pod label come along.
        "cart_api": {
            "podDisruptionBudget": {"enabled": True},
            "configFiles": {"A": "1"},
            "env": {"MODE": "fast", "DB_PASSWORD": {"valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}}}},
            "serviceAccount": {"name": "cart"},
            "podLabels": {"app": "cart"},
            "configMountPath": "/etc/cart",
            "replicas": 3,
            "healthPath": "/ready",
        },
        # Named like a worker, but a Service selects it: an api, written explicitly.
        "email_worker": {"type": "api", "image": {"pullPolicy": "IfNotPresent"}, "podLabels": {"app": "email"}, "replicas": 1},
        # No Service: a processor, though its name ends in api; no `<domain>-<chart>-` prefix to strip.
        "report_api": {"type": "processor", "image": "registry.example.com/other/report", "tag": "2.0"},
        # Kubernetes' defaults where the source relies on them (IfNotPresent, backoffLimit 6).
        "migrate": {"type": "job", "image": {"pullPolicy": "IfNotPresent"}, "args": ["--all"], "backoffLimit": 6, "restartPolicy": "OnFailure"},
    }


def test_what_a_spec_cannot_express_is_listed_one_line_each(tmp_path):
    source = tmp_path / "mixed.yaml"
    source.write_text(MIXED)
    _, warnings = run_import(source, "shop", "web", tmp_path)
    cart = "import: warning: Deployment/shop-web-cart-api: "
    assert warnings == [
        "import: warning: Deployment/shop-web-email-worker: no HTTP probe: the generated probes call GET /health (set healthPath)",
        cart + 'container name "cart" not mapped (generated: "app")',
        cart + 'metadata.annotations["team/owner"] not mapped (source: "payments", generated: (absent))',
        cart + 'spec.template.spec.containers[name=proxy] not mapped (source: {"image": "envoy:1.30", "name": "proxy"}, generated: (absent))',
        # The config files come along; their ConfigMap is renamed like every object.
        cart + 'spec.template.spec.volumes[name=config].configMap.name not mapped (source: "cart-config", generated: "shop-web-cart-api-config")',
        "import: warning: PodDisruptionBudget/cart: spec.minAvailable not mapped (source: 3, generated: (absent))",
        'import: warning: Service/email: spec.ports[name=http].targetPort not mapped (source: 8000, generated: "http")',
    ]


def test_without_output_file_the_spec_goes_to_stdout_and_warnings_to_stderr(example_out):
    result = run_cli("import", example_out / "manifests" / "demo-api-chart.k8s.yaml", "--domain", "demo", "--chart", "api_chart")
    assert result.returncode == 0
    assert yaml.safe_load(result.stdout) == {
        "domain": "demo",
        "charts": {
            "api_chart": {
                "apps": ["hello_api"],
                "features": {"ingress": True, "metrics": True, "gateway": True},  # the HTTPRoute maps back too
                "custom_values": {"gateway.parentRefs": [{"name": "shared", "namespace": "gateway-system"}]},
            }
        },
    }
    assert "import: warning" not in result.stderr


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--domain", "9x", "--chart", "web"], "<command line>: --domain: invalid name '9x': expected a letter, then letters, digits, '_' or '-'\n"),
        (["--domain", "shop", "--chart", "web", "--set", "a=b"], "{source}: -f/--set: values apply to charts only, and this is a manifests file\n"),
        (["--domain", "shop", "--chart", "web"], "<source>: <document>: no Deployment, Job or CronJob found: nothing to import\n"),
    ],
)
def test_bad_input_exits_2_with_one_line(tmp_path, args, expected):
    source = tmp_path / "cm.yaml"
    source.write_text("kind: ConfigMap\nmetadata: {name: only-config}\n")
    result = run_cli("import", source, *args)
    assert (result.returncode, result.stderr) == (2, expected.format(source=source))


def test_fit_keeps_what_the_schema_accepts_and_minimal_what_differs():
    schema = app_schema(AppShape("api", health=True))
    values = {"securityContext": {"runAsUser": 1000, "seLinuxOptions": {"level": "s0"}}, "env": {"OK": "1", "BAD": 2}, "port": 70000}
    assert fit(values, schema) == {"securityContext": {"runAsUser": 1000}, "env": {"OK": "1"}}
    assert minimal({"securityContext": {**SAFE_CONTAINER_SECURITY, "runAsUser": 1000}}, {"securityContext": SAFE_CONTAINER_SECURITY}) == {
        "securityContext": {"runAsUser": 1000}
    }
    assert minimal({"env": {}}, {"env": {}}) is DROP


# ---- the hand-written chart of docs/migration.md ---------------------------------------

MIGRATION = ("--release", "webshop", "--namespace", "shop")
DOCUMENTED_WARNINGS = [
    'ServiceAccount/webshop: metadata.labels["app.kubernetes.io/version"] not mapped (source: "2.4.1", generated: (absent))',
    'Service/webshop: metadata.labels["app.kubernetes.io/version"] not mapped (source: "2.4.1", generated: (absent))',
    "Service/webshop: spec.ports[name=http].port not mapped (source: 80, generated: 8080)",
    'Deployment/webshop: container name "webshop" not mapped (generated: "app")',
    'Deployment/webshop: metadata.labels["app.kubernetes.io/version"] not mapped (source: "2.4.1", generated: (absent))',
    'Deployment/webshop: spec.template.metadata.labels["app.kubernetes.io/version"] not mapped (source: "2.4.1", generated: (absent))',
    "Deployment/webshop: spec.template.spec.containers[name=app].livenessProbe.initialDelaySeconds not mapped (source: 10, generated: (absent))",
    'HorizontalPodAutoscaler/webshop: metadata.labels["app.kubernetes.io/version"] not mapped (source: "2.4.1", generated: (absent))',
    'Ingress/webshop: metadata.labels["app.kubernetes.io/version"] not mapped (source: "2.4.1", generated: (absent))',
    "Ingress/webshop: spec.rules[0].http.paths[path=/].backend.service.port.number not mapped (source: 80, generated: (absent))",
]
NAME_LABEL, VERSION_LABEL, KPLUS_LABEL = '["app.kubernetes.io/name"]', '["app.kubernetes.io/version"]', '["cdk8s.io/metadata.addr"]'
NEW_LABELS = ('["app.kubernetes.io/component"]', '["app.kubernetes.io/part-of"]', '["enhanced-helm-charts/app"]')
COMMON = {"metadata.name", f"metadata.labels{VERSION_LABEL}", *(f"metadata.labels{label}" for label in NEW_LABELS[:2])}
APP_LABELS = {f"metadata.labels{NAME_LABEL}", f"metadata.labels{NEW_LABELS[2]}"}
POD, CONTAINER = "spec.template.spec.", "spec.template.spec.containers[0]."
# Every difference between the hand-written chart and the chart generated from its draft, as docs/migration.md explains them.
DOCUMENTED_DIFFERENCES = {
    "Deployment": COMMON
    | APP_LABELS
    | {"metadata.annotations", f"spec.selector.matchLabels{NAME_LABEL}", 'spec.selector.matchLabels["app.kubernetes.io/instance"]'}
    | {f"spec.template.metadata.labels{label}" for label in (NAME_LABEL, VERSION_LABEL, KPLUS_LABEL, *NEW_LABELS)}
    | {
        POD + f
        for f in ("serviceAccountName", "automountServiceAccountToken", "enableServiceLinks", "affinity", "volumes[name=tmp].emptyDir.sizeLimit")
    }
    | {POD + f"securityContext.{f}" for f in ("runAsGroup", "runAsNonRoot", "runAsUser", "seccompProfile")}
    | {CONTAINER + f for f in ("name", "startupProbe", "livenessProbe.initialDelaySeconds")}
    | {CONTAINER + f"securityContext.{f}" for f in ("allowPrivilegeEscalation", "privileged", "runAsGroup")}
    | {CONTAINER + f"{probe}.{f}" for probe in ("livenessProbe", "readinessProbe") for f in ("periodSeconds", "timeoutSeconds", "failureThreshold")}
    | {"spec.revisionHistoryLimit", "spec.strategy"},
    "Service": COMMON
    | APP_LABELS
    | {"metadata.annotations", "spec.ports[name=http].port", f"spec.selector{NAME_LABEL}", 'spec.selector["app.kubernetes.io/instance"]'},
    "HorizontalPodAutoscaler": COMMON | APP_LABELS | {"spec.scaleTargetRef.name", "spec.metrics[1]", "spec.behavior"},
    "ServiceAccount": COMMON | APP_LABELS | {"automountServiceAccountToken"},
    "Ingress": COMMON
    | {f"metadata.labels{NAME_LABEL}"}
    | {f"spec.rules[0].http.paths[path=/].backend.service.{f}" for f in ("name", "port.number", "port.name")},
}


@pytest.mark.helm
def test_the_handwritten_chart_migrates_with_only_the_documented_differences(helm, tmp_path):
    spec, warnings = run_import(FIXTURE, "shop", "storefront", tmp_path, "--helm", helm, *MIGRATION)
    assert warnings == [f"import: warning: {w}" for w in DOCUMENTED_WARNINGS]
    assert run_cli(spec, "--out", tmp_path / "dist").returncode == 0
    new_chart = tmp_path / "dist" / "charts" / "shop-storefront"

    result = run_cli("diff", FIXTURE, new_chart, "--helm", helm, *MIGRATION, "--match-renamed", "--output", "json")
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    assert report["removed"] == [] and report["added"] == []
    renamed = {(d["kind"], d["oldName"], d["name"]) for d in report["changed"]}
    assert renamed == {
        ("Deployment", "webshop", "shop-storefront-webshop"),
        ("Service", "webshop", "shop-storefront-webshop-service"),
        ("HorizontalPodAutoscaler", "webshop", "shop-storefront-webshop-hpa"),
        ("Ingress", "webshop", "shop-storefront-ingress"),
        ("ServiceAccount", "webshop", "shop-storefront-webshop"),
    }
    found = {d["kind"]: {c["path"] for c in d["changes"]} for d in report["changed"]}
    assert found == DOCUMENTED_DIFFERENCES

    # The values the guide promises: the draft kept the port, user, pull policy, resources and routes.
    new = {o["kind"]: o for o in yaml.safe_load_all((tmp_path / "dist" / "manifests" / "shop-storefront.k8s.yaml").read_text())}
    container = new["Deployment"]["spec"]["template"]["spec"]["containers"][0]
    assert (container["ports"][0]["containerPort"], container["securityContext"]["runAsUser"], container["imagePullPolicy"]) == (
        8080,
        1000,
        "IfNotPresent",
    )
    assert container["image"] == "registry.example.com/shop/webshop:2.4.1"
    assert new["Ingress"]["spec"]["tls"] == [{"hosts": ["shop.example.com"], "secretName": "webshop-tls"}]


def test_the_migration_guide_shows_every_documented_difference_and_warning():
    guide = MIGRATION_DOC.read_text()
    missing = [path for paths in DOCUMENTED_DIFFERENCES.values() for path in paths if path not in guide]
    missing += [w for w in DOCUMENTED_WARNINGS if w not in guide]
    assert missing == []


LEFTOVERS = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: shop-web-cart-api}
spec:
  template:
    spec:
      containers: [{name: app, image: "registry.example.com/shop-cart-api:1.0.0", imagePullPolicy: Always}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: cart-leases, namespace: shop, labels: {helm.sh/chart: old-1.0.0, team: cart}}
rules: [{apiGroups: [coordination.k8s.io], resources: [leases], verbs: [get]}]
---
apiVersion: external-secrets.io/v1beta1
kind: ExternalSecret
metadata: {name: cart-db}
spec: {secretStoreRef: {name: vault}}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: broken}
dat: {A: "1"}
"""


def test_objects_no_app_takes_become_extra_objects_when_the_generator_accepts_them(tmp_path):
    source = tmp_path / "leftovers.yaml"
    source.write_text(LEFTOVERS)
    spec, warnings = run_import(source, "shop", "web", tmp_path)
    extra = yaml.safe_load(spec.read_text())["charts"]["web"]["custom_values"]["extraObjects"]
    assert [(o["kind"], o["metadata"]) for o in extra] == [
        ("Role", {"name": "cart-leases", "labels": {"team": "cart"}}),  # without what its release wrote
        ("ExternalSecret", {"name": "cart-db"}),
    ]
    assert warnings == ["import: warning: ConfigMap/broken: object not mapped"]  # refused by the ConfigMap schema
