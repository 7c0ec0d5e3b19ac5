"""Safe defaults, checked by a real policy scanner and by cross-object rules."""

import json
import subprocess

import pytest
from conftest import EXAMPLE_CHARTS, render, run_cli, run_helm, tool

from constructs_lib import SpecError, parse_spec

# Every knob a user may switch on, to scan the charts with all features enabled.
ALL_ON = {
    "manman-production-chart": ["--set", "manman.apps.status_processor.zoneSpread=true"],
    "myapp-dev-chart": ["--set", "myapp.apps.api_server.zoneSpread=true"],
}


def scan(tmp_path, documents: dict[str, str]) -> dict:
    for name, text in documents.items():
        (tmp_path / f"{name}.yaml").write_text(text)
    result = subprocess.run(
        [str(tool("checkov")), "-d", str(tmp_path), "--framework", "kubernetes", "-o", "json", "--compact"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.stdout, result.stderr
    reports = json.loads(result.stdout)
    return reports[0] if isinstance(reports, list) else reports


@pytest.mark.parametrize("variant", ["defaults", "all-features"])
def test_checkov_finds_nothing(tmp_path, example_out, variant):
    helm = tool("helm4")
    documents = {}
    for name in EXAMPLE_CHARTS:
        args = ALL_ON.get(name, []) if variant == "all-features" else []
        documents[name] = run_helm(helm, "template", "r", example_out / "charts" / name, "--namespace", "apps", *args).stdout
    report = scan(tmp_path, documents)
    failed = [(c["check_id"], c["resource"]) for c in report["results"]["failed_checks"]]
    assert failed == []
    assert report["summary"]["passed"] > 500
    skipped = {c["check_id"] for c in report["results"]["skipped_checks"]}
    assert skipped <= {"CKV_K8S_43", "CKV2_K8S_6", "CKV_K8S_8", "CKV_K8S_9"}


def test_pdb_refusal_at_generation_time(tmp_path):
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        "domain: shop\ncharts:\n  web:\n    apps:\n      cart_api:\n        replicas: 1\n"
        "        podDisruptionBudget: {enabled: true, minAvailable: 1}\n"
    )
    result = run_cli(spec, "--out", tmp_path / "out")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert lines == [
        f"{spec}: charts.web.apps.cart_api.podDisruptionBudget.minAvailable: minAvailable 1 with 1 pod(s) "
        "would block every node drain; use a lower value or maxUnavailable"
    ]
    assert not (tmp_path / "out").exists()


def test_pdb_floor_is_min_replicas_with_hpa():
    with pytest.raises(SpecError, match="minAvailable 2 with 2 pod"):
        parse_spec(
            {
                "domain": "s",
                "charts": {"c": {"features": {"hpa": True, "pdb": True}, "apps": {"a_api": {"podDisruptionBudget": {"minAvailable": 2}}}}},
            },
            "f",
        )


WORKLOADS = ("Deployment", "Job", "CronJob")


def pod_template(obj):
    spec = obj["spec"]
    return (spec["jobTemplate"]["spec"] if obj["kind"] == "CronJob" else spec)["template"]


def containers(obj):
    return pod_template(obj)["spec"]["containers"]


@pytest.mark.parametrize("name", EXAMPLE_CHARTS)
def test_workloads_are_locked_down(example_builds, name):
    for obj in example_builds[name].objects:
        if obj["kind"] not in WORKLOADS:
            continue
        pod = pod_template(obj)["spec"]
        for c in pod.get("initContainers", []):  # sidecars and init containers: the same safe defaults
            sc = c["securityContext"]
            assert sc["readOnlyRootFilesystem"] and not sc["allowPrivilegeEscalation"] and sc["runAsNonRoot"]
            assert sc["capabilities"] == {"drop": ["ALL"]} and set(c["resources"]) == {"requests", "limits"}
        assert pod["automountServiceAccountToken"] is False and pod["enableServiceLinks"] is False
        assert pod["securityContext"]["runAsNonRoot"] is True and pod["securityContext"]["runAsUser"] > 10000
        assert pod["securityContext"]["runAsGroup"] > 10000
        assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
        for c in containers(obj):
            sc = c["securityContext"]
            assert sc["readOnlyRootFilesystem"] and not sc["allowPrivilegeEscalation"]
            assert sc["capabilities"] == {"drop": ["ALL"]}
            assert set(c["resources"]) == {"requests", "limits"}
            assert {"name": "tmp", "mountPath": "/tmp"} in c["volumeMounts"]
            app = obj["metadata"]["labels"]["enhanced-helm-charts/app"]
            has_health = "healthPath" in example_builds[name].model.values[example_builds[name].model.domain]["apps"][app]
            probes = {"readinessProbe", "livenessProbe", "startupProbe"} & set(c)
            assert probes == ({"readinessProbe", "livenessProbe", "startupProbe"} if has_health else set())


@pytest.mark.parametrize("name", EXAMPLE_CHARTS)
def test_cross_object_references_hold(helm, example_out, name):
    objects = render(helm, example_out / "charts" / name)
    workloads = [o for o in objects if o["kind"] in WORKLOADS]
    services = {o["metadata"]["name"]: o for o in objects if o["kind"] == "Service"}
    for service in services.values():
        selector = service["spec"]["selector"]
        selected = [w for w in workloads if selector.items() <= pod_template(w)["metadata"]["labels"].items()]
        assert len(selected) == 1, service["metadata"]["name"]
        port_names = {p["name"] for c in containers(selected[0]) for p in c.get("ports", [])}
        assert {p["targetPort"] for p in service["spec"]["ports"]} <= port_names
    for ingress in (o for o in objects if o["kind"] == "Ingress"):
        for rule in ingress["spec"]["rules"]:
            for path in rule["http"]["paths"]:
                backend = path["backend"]["service"]
                assert backend["port"]["name"] in {p["name"] for p in services[backend["name"]]["spec"]["ports"]}
    deployments = {o["metadata"]["name"] for o in objects if o["kind"] == "Deployment"}
    for hpa in (o for o in objects if o["kind"] == "HorizontalPodAutoscaler"):
        assert hpa["spec"]["scaleTargetRef"]["name"] in deployments
    for pdb in (o for o in objects if o["kind"] == "PodDisruptionBudget"):
        selector = pdb["spec"]["selector"]["matchLabels"]
        assert len([w for w in workloads if selector.items() <= pod_template(w)["metadata"]["labels"].items()]) == 1
