"""The Helm charts, checked with real Helm 3 and 4."""

import hashlib
import json
import re

import pytest
import yaml
from conftest import EVERY_SHAPE_SPEC, EXAMPLE_CHARTS, by_identity, extra_identities, render, run_cli, run_helm, strip_release_fields

from constructs_lib.spec.defaults import NETWORK_POLICY_DEFAULTS

MANMAN = "manman-production-chart"


def chart_dir(out, name):
    return out / "charts" / name


def package(out, name, builds):
    return out / "packages" / builds[name].package_name


@pytest.mark.parametrize("name", EXAMPLE_CHARTS)
def test_lint_strict_passes_on_dir_and_package(helm, example_out, example_builds, name):
    for target in (chart_dir(example_out, name), package(example_out, name, example_builds)):
        result = run_helm(helm, "lint", "--strict", target)
        assert "0 chart(s) failed" in result.stdout
        assert "[WARNING]" not in result.stdout and "[ERROR]" not in result.stdout


@pytest.mark.parametrize("name", EXAMPLE_CHARTS)
def test_default_render_equals_synth(helm, example_out, example_builds, name):
    rendered = render(helm, package(example_out, name, example_builds))
    extra = extra_identities(example_builds[name].model)
    for obj in rendered:
        if (obj["kind"], obj["metadata"]["name"]) in extra:
            continue  # extraObjects are rendered as given
        assert obj["metadata"]["namespace"] == "apps"
        assert obj["metadata"]["labels"]["app.kubernetes.io/instance"] == "release"
    rendered = by_identity([strip_release_fields(o) for o in rendered])
    synth = by_identity(example_builds[name].objects)
    assert rendered.keys() == synth.keys()
    for key, obj in synth.items():
        assert rendered[key] == obj, key


def test_disabling_an_app_removes_all_its_objects_and_its_ingress_path(helm, example_out):
    objects = render(helm, chart_dir(example_out, MANMAN), "--set", "manman.apps.experience_api.enabled=false")
    names = {o["metadata"]["name"] for o in objects}
    assert not any("experience-api" in n for n in names)
    (ingress,) = (o for o in objects if o["kind"] == "Ingress")
    paths = [p["path"] for p in ingress["spec"]["rules"][0]["http"]["paths"]]
    assert paths == ["/status-api", "/worker-dal-api"]


def test_disabling_every_routed_app_removes_the_ingress(helm, example_out):
    sets = [f"--set=manman.apps.{a}.ingress.enabled=false" for a in ("experience_api", "status_api", "worker_dal_api")]
    objects = render(helm, chart_dir(example_out, MANMAN), *sets)
    assert not [o for o in objects if o["kind"] == "Ingress"]


def deployment(objects, name):
    return next(o for o in objects if o["kind"] == "Deployment" and o["metadata"]["name"] == name)


def test_replicas_knob_and_autoscaling_owns_replicas(helm, example_out):
    objects = render(helm, chart_dir(example_out, MANMAN), "--set", "manman.apps.status_processor.replicas=3")
    assert deployment(objects, "manman-production-chart-status-processor")["spec"]["replicas"] == 3
    api = deployment(objects, "manman-production-chart-status-api")
    assert "replicas" not in api["spec"]  # the HPA owns it
    objects = render(
        helm,
        chart_dir(example_out, MANMAN),
        "--set",
        "manman.apps.status_api.autoscaling.enabled=false",
        "--set",
        "manman.apps.status_api.replicas=4",
    )
    assert deployment(objects, "manman-production-chart-status-api")["spec"]["replicas"] == 4
    assert "manman-production-chart-status-api-hpa" not in {o["metadata"]["name"] for o in objects}


def test_knobs_change_exactly_their_fields(helm, example_out, example_builds):
    base = by_identity(render(helm, chart_dir(example_out, MANMAN)))
    changed = by_identity(
        render(
            helm,
            chart_dir(example_out, MANMAN),
            "--set",
            "manman.apps.experience_api.image.tag=9.9.9",
            "--set",
            "manman.apps.experience_api.port=9000",
            "--set",
            "manman.apps.experience_api.healthPath=/ready",
            "--set",
            "manman.apps.experience_api.resources.limits.memory=1Gi",
            "--set-string",
            "manman.apps.experience_api.env.EXTRA=1",
            "--set",
            "global.env.APP_ENV=staging",
            "--set",
            "manman.apps.experience_api.autoscaling.maxReplicas=30",
            "--set",
            "manman.apps.experience_api.podDisruptionBudget.minAvailable=50%",
            "--set",
            "manman.apps.experience_api.ingress.path=/xp",
            "--set",
            "ingress.host=other.example.com",
        )
    )
    name = "manman-production-chart-experience-api"
    c = changed[("Deployment", name)]["spec"]["template"]["spec"]["containers"][0]
    assert c["image"] == "registry.example.com/manman/experience-api:9.9.9"
    assert c["ports"][0]["containerPort"] == 9000
    assert c["readinessProbe"]["httpGet"]["path"] == "/ready"
    assert c["resources"]["limits"] == {"cpu": "500m", "memory": "1Gi"}
    assert c["env"] == [{"name": "APP_ENV", "value": "staging"}, {"name": "EXTRA", "value": "1"}]
    other = changed[("Deployment", "manman-production-chart-status-api")]["spec"]["template"]["spec"]["containers"][0]
    assert other["env"] == [{"name": "APP_ENV", "value": "staging"}]
    assert changed[("Service", f"{name}-service")]["spec"]["ports"][0]["port"] == 9000
    assert changed[("HorizontalPodAutoscaler", f"{name}-hpa")]["spec"]["maxReplicas"] == 30
    pdb = changed[("PodDisruptionBudget", f"{name}-pdb")]["spec"]
    assert pdb["minAvailable"] == "50%" and "maxUnavailable" not in pdb
    rule = changed[("Ingress", "manman-production-chart-ingress")]["spec"]["rules"][0]
    assert rule["host"] == "other.example.com"
    assert rule["http"]["paths"][0]["path"] == "/xp"
    untouched = ("PodDisruptionBudget", "manman-production-chart-status-api-pdb")
    assert changed[untouched] == base[untouched]


def test_app_env_wins_over_global_env_without_duplicates(helm, example_out):
    objects = render(helm, chart_dir(example_out, MANMAN), "--set", "manman.apps.status_api.env.APP_ENV=canary")
    env = deployment(objects, "manman-production-chart-status-api")["spec"]["template"]["spec"]["containers"][0]["env"]
    assert env == [{"name": "APP_ENV", "value": "canary"}]


def test_big_numbers_render_as_integers(helm, example_out, tmp_path):
    values = tmp_path / "values.yaml"
    values.write_text(yaml.safe_dump({"manman": {"apps": {"status_processor": {"replicas": 1000}}}}))
    objects = render(helm, chart_dir(example_out, MANMAN), "-f", values)
    assert deployment(objects, "manman-production-chart-status-processor")["spec"]["replicas"] == 1000


def test_a_pdb_bound_from_the_spec_is_replaced_by_setting_it_to_null(helm, example_out):
    chart = chart_dir(example_out, "myapp-prod-chart")
    switch = ["--set", "myapp.apps.api_server.podDisruptionBudget.maxUnavailable=1"]
    refused = run_helm(helm, "template", "r", chart, *switch, check=False)
    assert refused.returncode != 0
    assert "myapp.apps.api_server.podDisruptionBudget.minAvailable: set either minAvailable or maxUnavailable, not both" in refused.stderr
    assert "(--set …minAvailable=null)" in refused.stderr
    objects = render(helm, chart, *switch, "--set", "myapp.apps.api_server.podDisruptionBudget.minAvailable=null")
    pdb = by_identity(objects)[("PodDisruptionBudget", "myapp-prod-chart-api-server-pdb")]
    assert pdb["spec"]["maxUnavailable"] == 1 and "minAvailable" not in pdb["spec"]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--set", "manman.apps.status_api.no_such_key=1"], "no_such_key"),
        (["--set", "manman.apps.status_api.replicas=many"], "replicas"),
        (["--set", "manman.apps.status_api.port=70000"], "port"),
        (["--set", "manman.apps.status_api.type=processor"], "type"),
        (
            ["--set", "manman.apps.status_api.autoscaling.minReplicas=5", "--set", "manman.apps.status_api.autoscaling.maxReplicas=3"],
            "manman.apps.status_api.autoscaling.minReplicas: minReplicas must not exceed maxReplicas",
        ),
        (
            ["--set", "manman.apps.status_processor.podDisruptionBudget.minAvailable=1"],
            "manman.apps.status_processor.podDisruptionBudget.minAvailable: minAvailable 1 with 1 pod(s) would block every node drain",
        ),
        (["--set", "manman.apps.status_api.podDisruptionBudget.minAvailable=100%"], "would block every node drain"),
        (["--set", "manman.apps.status_api.podDisruptionBudget.maxUnavailable=0"], "maxUnavailable 0 would block"),
        (
            [
                "--set",
                "manman.apps.status_api.podDisruptionBudget.minAvailable=1",
                "--set",
                "manman.apps.status_api.podDisruptionBudget.maxUnavailable=1",
            ],
            "set either minAvailable or maxUnavailable, not both",
        ),
        (["--set", "manman.apps.status_api.ingress.path=/experience-api"], "is already used by app"),
        (["--set", "ingress.tls.enabled=true"], "ingress.tls.configs: tls.enabled needs at least one config"),
        (["--set", "nosuch.key=1"], "nosuch"),
    ],
)
def test_bad_values_fail_with_a_message_naming_the_key(helm, example_out, args, expected):
    result = run_helm(helm, "template", "r", chart_dir(example_out, MANMAN), *args, check=False)
    assert result.returncode != 0
    assert expected in result.stderr


def test_schema_is_strict_and_self_contained(example_builds):
    for build in example_builds.values():
        schema = json.loads(build.files["values.schema.json"])
        assert schema["$schema"] == "http://json-schema.org/draft-07/schema#"
        extra_object = schema["properties"]["extraObjects"]["items"]  # any kind, any metadata: open by design
        assert extra_object["required"] == ["apiVersion", "kind", "metadata"]
        open_by_design = {id(extra_object), id(extra_object["properties"]["metadata"])}
        text = json.dumps(schema)
        assert '"$ref": "http' not in text and '"$ref": "file' not in text
        stack = [schema]
        while stack:
            node = stack.pop()
            if isinstance(node, dict):
                if node.get("type") == "object" and "properties" in node and id(node) not in open_by_design:
                    assert node.get("additionalProperties") is False
                stack.extend(node.values())
            elif isinstance(node, list):
                stack.extend(node)


def test_values_yaml_layout(example_builds):
    values = yaml.safe_load(example_builds[MANMAN].files["values.yaml"])
    assert list(values) == ["global", "manman", "ingress", "extraObjects"]
    assert values["extraObjects"] == []
    apps = values["manman"]["apps"]
    assert list(apps) == ["experience_api", "status_api", "worker_dal_api", "status_processor"]
    assert apps["worker_dal_api"]["type"] == "api"
    assert apps["status_processor"]["type"] == "processor"
    assert apps["status_processor"]["podDisruptionBudget"] == {"enabled": True}
    assert "autoscaling" not in apps["status_processor"] and "ingress" not in apps["status_processor"]
    assert values["global"]["env"] == {"APP_ENV": "production"}
    assert values["ingress"]["host"] == "api.manman.com"


def test_packages_are_byte_reproducible(tmp_path, example_builds):
    first = run_cli("--out", tmp_path / "a")
    second = run_cli("--out", tmp_path / "b")
    assert first.returncode == 0 and second.returncode == 0, first.stderr + second.stderr
    for name, build in example_builds.items():
        a = (tmp_path / "a" / "packages" / build.package_name).read_bytes()
        b = (tmp_path / "b" / "packages" / build.package_name).read_bytes()
        assert hashlib.sha256(a).hexdigest() == hashlib.sha256(b).hexdigest()
        assert a == build.package, f"{name}: CLI and in-process packages differ"
        chart_a = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a" / "charts" / name).rglob("*"))
        for rel in chart_a:
            path_a, path_b = tmp_path / "a" / rel, tmp_path / "b" / rel
            assert path_a.is_dir() or path_a.read_bytes() == path_b.read_bytes()


def test_helm_reads_the_package(helm, example_out, example_builds):
    for name in EXAMPLE_CHARTS:
        shown = yaml.safe_load(run_helm(helm, "show", "chart", package(example_out, name, example_builds)).stdout)
        assert shown["name"] == name and shown["apiVersion"] == "v2"
        assert shown["version"] == example_builds[name].model.version


def test_plain_job_name_follows_its_inputs_and_hook_job_keeps_its_name(helm, example_out):
    chart = chart_dir(example_out, "batch-jobs-chart")
    jobs = {o["metadata"]["name"] for o in render(helm, chart) if o["kind"] == "Job"}
    changed = {
        o["metadata"]["name"]
        for o in render(helm, chart, "--set", "batch.apps.backfill_report.image.tag=2.0.0", "--set", "batch.apps.db_migrate.image.tag=2.0.0")
        if o["kind"] == "Job"
    }
    assert "batch-jobs-chart-db-migrate" in jobs and "batch-jobs-chart-db-migrate" in changed
    (old,) = (j for j in jobs if j.startswith("batch-jobs-chart-backfill-report-"))
    (new,) = (j for j in changed if j.startswith("batch-jobs-chart-backfill-report-"))
    assert old != new


def test_metrics_knob_drives_annotations_port_and_servicemonitor(helm, example_out):
    chart = chart_dir(example_out, "demo-api-chart")
    on = by_identity(render(helm, chart, "--set", "demo.apps.hello_api.metrics.path=/prom"))
    pod = on[("Deployment", "demo-api-chart-hello-api")]["spec"]["template"]
    assert pod["metadata"]["annotations"] == {"prometheus.io/path": "/prom", "prometheus.io/port": "9090", "prometheus.io/scrape": "true"}
    assert on[("ServiceMonitor", "demo-api-chart-hello-api-monitor")]["spec"]["endpoints"][0]["path"] == "/prom"
    off = by_identity(render(helm, chart, "--set", "demo.apps.hello_api.metrics.enabled=false"))
    assert ("ServiceMonitor", "demo-api-chart-hello-api-monitor") not in off
    assert "annotations" not in off[("Deployment", "demo-api-chart-hello-api")]["spec"]["template"]["metadata"]


def _metrics_ports(objects: dict, app: str, prefix: str) -> tuple:
    """(container port names, Service port names, ServiceMonitor port, NetworkPolicy metrics-rule ports) of one api."""
    pod = objects[("Deployment", f"{prefix}-{app}")]["spec"]["template"]
    rules = objects[("NetworkPolicy", f"{prefix}-{app}-netpol")]["spec"]["ingress"]
    return (
        [p["name"] for p in pod["spec"]["containers"][0]["ports"]],
        [p["name"] for p in objects[("Service", f"{prefix}-{app}-service")]["spec"]["ports"]],
        objects[("ServiceMonitor", f"{prefix}-{app}-monitor")]["spec"]["endpoints"][0]["port"],
        [p["port"] for r in rules if r.get("from") == NETWORK_POLICY_DEFAULTS["metricsFrom"] for p in r["ports"]],
        pod["metadata"]["annotations"]["prometheus.io/port"],
    )


@pytest.mark.parametrize("written", [8000, 9090])
def test_metrics_on_the_app_port_share_it_both_ways(helm, tmp_path, written):
    """prometheus-fastapi-instrumentator serves /metrics on the app port: no second port, the scrape targets http."""
    import kubernetes_validate

    from constructs_lib import build_all, parse_spec
    from constructs_lib.pipeline import write_outputs

    features = {"metrics": True, "networkPolicy": True}
    spec = {"domain": "shop", "charts": {"web": {"features": features, "apps": {"cart_api": {"metrics": {"port": written}}}}}}
    build = build_all(parse_spec(spec, "spec.yaml"))[0]
    write_outputs([build], tmp_path)
    chart = tmp_path / "charts" / "shop-web"
    default = by_identity([strip_release_fields(o) for o in render(helm, chart)])
    assert default == by_identity(build.objects)
    shared = ["http"], ["http"], "http", ["http"], "8000"
    separate = ["http", "metrics"], ["http", "metrics"], "metrics", ["metrics"], "9090"
    assert _metrics_ports(default, "cart-api", "shop-web") == (shared if written == 8000 else separate)
    flipped = by_identity(render(helm, chart, "--set", f"shop.apps.cart_api.metrics.port={17090 - written}"))
    assert _metrics_ports(flipped, "cart-api", "shop-web") == (separate if written == 8000 else shared)
    for obj in flipped.values():
        if obj["kind"] != "ServiceMonitor":
            kubernetes_validate.validate(obj, "1.29", strict=True)


def _switch_spec(on: bool) -> dict:
    """A chart whose every optional object is switched on, or off, by the spec itself."""
    return {
        "domain": "shop",
        "charts": {
            "web": {
                "features": {"pdb": True, "hpa": True, "ingress": True, "metrics": True},
                "apps": {
                    "cart_api": {"podDisruptionBudget": {"enabled": on}, "autoscaling": {"enabled": on}, "metrics": {"enabled": on}},
                    "search_api": {"ingress": {"enabled": on}},
                    "mail_worker": {"enabled": on},
                    "cleanup": {"type": "job", "enabled": on},
                },
                "custom_values": {"ingress.enabled": on},
            }
        },
    }


def test_objects_switched_off_by_the_spec_come_back_with_set(helm, tmp_path):
    from constructs_lib import build_all, parse_spec
    from constructs_lib.pipeline import write_outputs

    off, on = (build_all(parse_spec(_switch_spec(flag), "spec.yaml"))[0] for flag in (False, True))
    write_outputs([off], tmp_path)
    chart = tmp_path / "charts" / "shop-web"
    default = by_identity([strip_release_fields(o) for o in render(helm, chart)])
    assert default == by_identity(off.objects)
    assert ("Ingress", "shop-web-ingress") not in default
    switched = [
        "shop.apps.cart_api.podDisruptionBudget.enabled=true",
        "shop.apps.cart_api.autoscaling.enabled=true",
        "shop.apps.cart_api.metrics.enabled=true",
        "shop.apps.search_api.ingress.enabled=true",
        "shop.apps.mail_worker.enabled=true",
        "shop.apps.cleanup.enabled=true",
        "ingress.enabled=true",
    ]
    args = [a for s in switched for a in ("--set", s)]
    rendered = by_identity([strip_release_fields(o) for o in render(helm, chart, *args)])
    expected = by_identity(on.objects)
    assert rendered.keys() == expected.keys()
    for key, obj in expected.items():
        assert rendered[key] == obj, key


def test_cronjob_knobs_are_live_and_valid_kubernetes(helm, example_out):
    import kubernetes_validate

    chart = chart_dir(example_out, "batch-jobs-chart")
    name = "batch-jobs-chart-nightly-report"
    default = by_identity(render(helm, chart))[("CronJob", name)]
    given = default["spec"]
    assert (given["schedule"], given["timeZone"], given["concurrencyPolicy"]) == ("30 2 * * *", "Europe/Berlin", "Forbid")
    objects = render(
        helm,
        chart,
        "--set",
        "batch.apps.nightly_report.schedule=@hourly",
        "--set",
        "batch.apps.nightly_report.timeZone=",
        "--set",
        "batch.apps.nightly_report.concurrencyPolicy=Replace",
        "--set",
        "batch.apps.nightly_report.startingDeadlineSeconds=0",
        "--set",
        "batch.apps.nightly_report.successfulJobsHistoryLimit=0",
        "--set",
        "batch.apps.nightly_report.suspend=true",
        "--set",
        "batch.apps.nightly_report.backoffLimit=0",
        "--set-json",
        'batch.apps.nightly_report.sidecars=[{"name":"proxy","image":"envoyproxy/envoy:v1.31.2"}]',
    )
    spec = by_identity(objects)[("CronJob", name)]["spec"]
    assert "timeZone" not in spec  # empty: the controller's zone
    assert (spec["schedule"], spec["concurrencyPolicy"], spec["startingDeadlineSeconds"]) == ("@hourly", "Replace", 0)
    assert (spec["successfulJobsHistoryLimit"], spec["suspend"], spec["jobTemplate"]["spec"]["backoffLimit"]) == (0, True, 0)
    assert spec["jobTemplate"]["spec"]["template"]["spec"]["initContainers"][0]["restartPolicy"] == "Always"
    for version in ("1.29", "1.37"):
        kubernetes_validate.validate(by_identity(objects)[("CronJob", name)], version, strict=True)


@pytest.mark.parametrize(
    ("value", "message"),
    [("not a cron", "/batch/apps/nightly_report/schedule"), ("0 2 * * 8", "/batch/apps/nightly_report/schedule")],
)
def test_a_bad_schedule_fails_naming_the_key(helm, example_out, value, message):
    chart = chart_dir(example_out, "batch-jobs-chart")
    result = run_helm(helm, "template", "r", chart, "--set", f"batch.apps.nightly_report.schedule={value}", check=False)
    assert result.returncode != 0 and message in result.stderr, result.stderr


YAML_11_TEXTS = {"PY_VERSION": "3.10", "COUNTRY": "NO", "TIME": "12:30:00", "OCT": "0755", "SCALE": "1e3", "DAY": "2024-01-01", "FLAG": "on"}


def test_plain_text_that_yaml_11_reads_as_numbers_keeps_what_was_written(helm, tmp_path):
    """`PY_VERSION: 3.10` reaches the container as "3.10", not "3.1" (nor NO as false, 0755 as 493)."""
    env = "\n".join(f"          {key}: {text}" for key, text in YAML_11_TEXTS.items())
    spec = tmp_path / "shop.yaml"
    spec.write_text(
        "domain: shop\ncharts:\n  web:\n    apps:\n      cart_api:\n        tag: 1.10\n"
        f"        podLabels: {{release: 2024-01-01}}\n        podAnnotations: {{ratio: 3.10}}\n        env:\n{env}\n"
    )
    result = run_cli(spec, "--out", tmp_path / "out")
    assert result.returncode == 0, result.stderr
    objects = render(helm, tmp_path / "out" / "charts" / "shop-web")
    pod = deployment(objects, "shop-web-cart-api")["spec"]["template"]
    container = pod["spec"]["containers"][0]
    assert {e["name"]: e["value"] for e in container["env"]} == YAML_11_TEXTS
    assert container["image"].endswith(":1.10")
    assert pod["metadata"]["labels"]["release"] == "2024-01-01"
    assert pod["metadata"]["annotations"]["ratio"] == "3.10"


@pytest.mark.parametrize("apps", [["cart_api", "celery_beat"], ["celery_beat"]])
def test_a_fallback_api_is_routed_only_when_asked(helm, tmp_path, apps):
    from constructs_lib import build_all, parse_spec
    from constructs_lib.pipeline import write_outputs

    spec = {"domain": "shop", "charts": {"web": {"apps": apps, "features": {"ingress": True}}}}
    build = build_all(parse_spec(spec, "spec.yaml"))[0]
    write_outputs([build], tmp_path)
    chart = tmp_path / "charts" / "shop-web"
    default = by_identity([strip_release_fields(o) for o in render(helm, chart)])
    assert default == by_identity(build.objects)
    paths = [p["path"] for r in default.get(("Ingress", "shop-web-ingress"), {"spec": {"rules": []}})["spec"]["rules"] for p in r["http"]["paths"]]
    assert paths == [f"/{a.replace('_', '-')}" for a in apps if a.endswith("api")]
    asked = by_identity(render(helm, chart, "--set", "shop.apps.celery_beat.ingress.enabled=true"))
    rules = asked[("Ingress", "shop-web-ingress")]["spec"]["rules"]
    assert "/celery-beat" in [p["path"] for r in rules for p in r["http"]["paths"]]


def test_every_row_of_each_charts_values_table_has_a_type_and_a_description(example_builds):
    from constructs_lib import parse_spec
    from constructs_lib.helm.chart_readme import chart_readme

    models = [b.model for b in example_builds.values()] + parse_spec(EVERY_SHAPE_SPEC, "spec.yaml")
    checked = 0
    for model in models:
        table = chart_readme(model).split("## Values", 1)[1]
        for row in (line for line in table.splitlines() if line.startswith("| `")):
            cells = [c.strip() for c in row.strip("|").replace("\\|", "/").split("|")]
            assert len(cells) == 4 and cells[1] and cells[3], (model.name, row)
            assert cells[1] != "any", (model.name, row)
            checked += 1
    assert checked > 500


FLOW = re.compile(r"(^|:\s|-\s)[\[{](?![\]}])")  # a non-empty JSON/flow mapping or sequence as a value or item


def _flow_lines(text: str) -> list[str]:
    """Lines holding flow collections, outside block scalars (a config file's text may hold anything)."""
    found, scalar_indent = [], None
    for line in text.splitlines():
        indent = len(line) - len(line.lstrip())
        if scalar_indent is not None and (indent > scalar_indent or not line.strip()):
            continue
        scalar_indent = indent if re.search(r":\s*[|>][-+]?\d*$", line) else None
        if FLOW.search(line.strip()):
            found.append(line)
    return found


def test_rendered_output_is_block_yaml_in_the_synths_order(helm, example_out):
    """Reviewers read `helm template` diffs: one changed field is one changed line."""
    for name in EXAMPLE_CHARTS:
        result = run_helm(helm, "template", "r", chart_dir(example_out, name))
        assert _flow_lines(result.stdout) == [], name
    text = run_helm(helm, "template", "r", chart_dir(example_out, MANMAN)).stdout
    (processor,) = (d for d in text.split("\n---\n") if "kind: Deployment" in d and "name: manman-production-chart-status-processor\n" in d)
    assert processor.index("  replicas: 1") < processor.index("  template:")
    (ingress,) = (d for d in text.split("\n---\n") if "kind: Ingress" in d)
    assert ingress.index("host: ") < ingress.index("http:")


def test_helm_package_app_version_sets_every_default_image_tag(helm, example_out, tmp_path):
    """Tags left empty fall back to .Chart.AppVersion, as `helm create` charts do."""
    run_helm(helm, "package", chart_dir(example_out, MANMAN), "--app-version", "9.9.9", "--destination", tmp_path)
    (package,) = tmp_path.glob("*.tgz")
    images = [c["image"] for o in render(helm, package) if o["kind"] == "Deployment" for c in o["spec"]["template"]["spec"]["containers"]]
    assert len(images) == 4 and all(image.endswith(":9.9.9") for image in images), images


def test_a_string_helm_writes_plain_but_yaml_11_misreads_is_read_back_as_text(helm, example_out, tmp_path):
    """Helm's toYaml writes the string "=" plain; PyYAML alone would fail on it (a YAML 1.1 value key)."""
    values = tmp_path / "values.yaml"
    values.write_text(yaml.safe_dump({"ingress": {"annotations": {"team": "="}}}))
    objects = by_identity(render(helm, chart_dir(example_out, MANMAN), "-f", values))
    assert objects[("Ingress", "manman-production-chart-ingress")]["metadata"]["annotations"] == {"team": "="}
    result = run_cli("diff", chart_dir(example_out, MANMAN), chart_dir(example_out, MANMAN), "-f", values, "--helm", helm)
    assert (result.returncode, result.stderr) == (0, "")
