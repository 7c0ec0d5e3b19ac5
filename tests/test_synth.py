"""Synthesized manifests: the seed's counts, strict Kubernetes schemas, golden files."""

import os
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import jsonschema
import kubernetes_validate
import pytest
import yaml
from conftest import EXAMPLE_CHARTS, ROOT, extra_identities
from test_servicemonitor_crd import served_schema, strict

GOLDEN = ROOT / "tests" / "golden"
K8S_VERSIONS = ("1.28", "1.37")


def test_manman_has_exactly_the_seed_objects(example_builds):
    objects = example_builds["manman-production-chart"].objects
    kinds = Counter(o["kind"] for o in objects)
    assert kinds == {"Deployment": 4, "Service": 3, "HorizontalPodAutoscaler": 3, "PodDisruptionBudget": 4, "Ingress": 1}
    services = {o["metadata"]["name"] for o in objects if o["kind"] == "Service"}
    assert "manman-production-chart-status-processor-service" not in services
    hpa_targets = {o["spec"]["scaleTargetRef"]["name"] for o in objects if o["kind"] == "HorizontalPodAutoscaler"}
    assert hpa_targets == {f"manman-production-chart-{a}" for a in ("experience-api", "status-api", "worker-dal-api")}
    (ingress,) = (o for o in objects if o["kind"] == "Ingress")
    (rule,) = ingress["spec"]["rules"]
    assert rule["host"] == "api.manman.com"
    assert len(rule["http"]["paths"]) == 3
    for deployment in (o for o in objects if o["kind"] == "Deployment"):
        for container in deployment["spec"]["template"]["spec"]["containers"]:
            assert {"name": "APP_ENV", "value": "production"} in container["env"]


@pytest.mark.parametrize("version", K8S_VERSIONS)
def test_every_object_passes_strict_kubernetes_schemas(example_builds, version):
    """Built-in kinds by kubernetes_validate; custom resources by the CRDs their classes come
    from (the trimmed ServiceMonitor copy, the real Gateway API routes), unknown fields refused."""
    crd_files = [*(ROOT / "imports" / "crds").glob("*.yaml"), *(ROOT / ".tools" / "crds").glob("gateway.networking.k8s.io_*.yaml")]
    crd_schemas = {}
    for path in crd_files:
        crd = yaml.safe_load(path.read_text())
        crd_schemas[crd["spec"]["names"]["kind"]] = strict(served_schema(crd))
    checked = set()
    for build in example_builds.values():
        for obj in build.objects:
            if obj["kind"] in crd_schemas:
                jsonschema.Draft4Validator(crd_schemas[obj["kind"]]).validate(obj)
            else:
                kubernetes_validate.validate(obj, version, strict=True)
            checked.add(obj["kind"])
    assert {"ServiceMonitor", "HTTPRoute"} <= checked


def test_objects_carry_the_app_key_and_minimal_selectors(example_builds):
    for build in example_builds.values():
        extra = extra_identities(build.model)
        for obj in build.objects:
            if (obj["kind"], obj["metadata"]["name"]) in extra:
                continue  # rendered as given
            labels = obj["metadata"]["labels"]
            if obj["kind"] not in ("Ingress", "HTTPRoute", "GRPCRoute"):  # the chart's, not one app's
                assert labels["enhanced-helm-charts/app"] in {a.key for a in build.model.apps}
            selector = obj.get("spec", {}).get("selector")
            if isinstance(selector, dict):
                selector = selector.get("matchLabels", selector)
                assert list(selector) == ["app.kubernetes.io/name"]


def test_names_are_unique_and_short(example_builds):
    for build in example_builds.values():
        names = [(o["kind"], o["metadata"]["name"]) for o in build.objects]
        assert len(names) == len(set(names))
        assert all(len(n) <= 63 for _, n in names)


@pytest.mark.parametrize("name", EXAMPLE_CHARTS)
def test_golden_manifests(example_builds, name):
    """Pinned synth output; regenerate with UPDATE_GOLDEN=1 after an intended change."""
    golden = GOLDEN / f"{name}.k8s.yaml"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        golden.write_text(example_builds[name].manifest_yaml)
    assert example_builds[name].manifest_yaml == golden.read_text()


def test_every_example_has_a_golden_file(example_builds):
    assert sorted(example_builds) == list(EXAMPLE_CHARTS)
    assert {p.name for p in GOLDEN.glob("*.k8s.yaml")} == {f"{n}.k8s.yaml" for n in EXAMPLE_CHARTS}


def _files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_cdk8s_synth_and_main_share_dist_and_neither_deletes_the_other(tmp_path):
    """cdk8s empties its output folder: it owns dist/manifests, where main.py writes the same files."""
    cli = ROOT / "node_modules" / ".bin" / "cdk8s"
    if not cli.exists():
        pytest.skip("cdk8s CLI not installed: run scripts/setup.sh")
    project = tmp_path / "project"  # a checkout of its own, so the test never touches ROOT/dist
    project.mkdir()
    for name in ("main.py", "cdk8s.yaml", "constructs_lib", "imports", "charts_spec", "scripts"):
        (project / name).symlink_to(ROOT / name)
    (project / ".venv").symlink_to(sys.prefix)  # the project's Python, as scripts/setup.sh makes it
    main = subprocess.run([sys.executable, "main.py", "--quiet"], cwd=project, capture_output=True, text=True, timeout=300)
    assert main.returncode == 0, main.stderr
    dist = project / "dist"
    charts, packages = _files(dist / "charts"), _files(dist / "packages")
    # A bare PATH: the app (scripts/cdk8s-app) finds the project's Python by itself.
    env = {**os.environ, "PATH": f"{Path(shutil.which('node')).parent}{os.pathsep}/usr/bin{os.pathsep}/bin"}
    result = subprocess.run([str(cli), "synth", "--no-check-upgrade"], cwd=project, capture_output=True, text=True, timeout=300, env=env)
    assert result.returncode == 0, result.stderr
    assert "error" not in result.stderr.lower()
    assert sorted(p.name for p in dist.iterdir()) == ["charts", "manifests", "packages"]
    assert _files(dist / "charts") == charts and _files(dist / "packages") == packages
    assert _files(dist / "manifests") == {p.name: p.read_bytes() for p in GOLDEN.glob("*.k8s.yaml")}
