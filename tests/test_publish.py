"""`main.py publish`: every package to a real OCI registry with real `helm push`, and back."""

from __future__ import annotations

import hashlib
import re
import shutil

import pytest
from conftest import EXAMPLE_CHARTS, run_cli, run_helm

from constructs_lib import build_all, parse_spec
from constructs_lib.pipeline import write_outputs

LINE = re.compile(r"^(oci://\S+/(\S+)):(\S+) (sha256:[0-9a-f]{64})$")


def publish(out, target: str, helm, *extra: str):
    return run_cli("publish", out, target, "--plain-http", "--helm", helm, *extra, env=HELM_HOMES)


HELM_HOMES = {"HELM_CACHE_HOME": "/tmp/ehcf-helm/cache", "HELM_CONFIG_HOME": "/tmp/ehcf-helm/config", "HELM_DATA_HOME": "/tmp/ehcf-helm/data"}


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_every_example_is_published_pulled_back_identical_and_republished_unchanged(helm, registry, example_out, example_builds, tmp_path):
    target = registry.target(f"examples-{helm.name}")
    first = publish(example_out, target, helm)
    assert first.returncode == 0, first.stderr
    lines = first.stdout.splitlines()
    published = {LINE.match(line).group(2): LINE.match(line) for line in lines}
    assert sorted(published) == list(EXAMPLE_CHARTS)
    for name, match in published.items():
        build = example_builds[name]
        assert match.group(3) == build.model.version
        pulled = tmp_path / name
        pulled.mkdir()
        run_helm(helm, "pull", match.group(1), "--version", build.model.version, "--destination", pulled, "--plain-http")
        (package,) = pulled.glob("*.tgz")
        assert sha256(package.read_bytes()) == sha256(build.package), name
        values = run_helm(helm, "show", "values", match.group(1), "--version", build.model.version, "--plain-http").stdout
        assert values.rstrip("\n") == build.files["values.yaml"].decode().rstrip("\n")  # helm prints a newline after it
    again = publish(example_out, target, helm)
    assert again.returncode == 0, again.stderr
    assert again.stdout.splitlines() == lines  # byte-reproducible packages: the same digests


def _one_chart(tmp_path, replicas: int):
    spec = {"domain": "shop", "charts": {"web": {"version": "1.0.0", "apps": {"cart_api": {"replicas": replicas}}}}}
    out = tmp_path / f"replicas-{replicas}"
    write_outputs(build_all(parse_spec(spec, "spec.yaml")), out)
    return out


def test_a_changed_chart_under_a_published_version_is_refused_unless_forced(helm, registry, tmp_path):
    target = registry.target(f"force-{helm.name}")
    old, new = _one_chart(tmp_path, 2), _one_chart(tmp_path, 3)
    assert publish(old, target, helm).returncode == 0
    refused = publish(new, target, helm)
    assert refused.returncode == 2
    package = new / "packages" / "shop-web-1.0.0.tgz"
    assert refused.stderr.splitlines() == [
        f"{package}: shop-web 1.0.0: {target}/shop-web:1.0.0 exists with different content; bump the chart version (or --force to overwrite it)"
    ]
    assert refused.stdout == ""

    def registry_holds(out) -> bool:
        pulled = tmp_path / "pulled"
        shutil.rmtree(pulled, ignore_errors=True)
        pulled.mkdir()
        run_helm(helm, "pull", f"{target}/shop-web", "--version", "1.0.0", "--destination", pulled, "--plain-http")
        return (pulled / "shop-web-1.0.0.tgz").read_bytes() == (out / "packages" / "shop-web-1.0.0.tgz").read_bytes()

    assert registry_holds(old)
    forced = publish(new, target, helm, "--force")
    assert forced.returncode == 0, forced.stderr
    assert registry_holds(new)


@pytest.mark.parametrize(
    ("target", "code", "message"),
    [
        ("https://example.com/charts", 2, "target: expected oci://HOST[:PORT]/PATH"),
        ("oci://127.0.0.1:1/charts", 3, "helm pull oci://127.0.0.1:1/charts/shop-web:1.0.0 failed: "),
    ],
)
def test_a_bad_target_or_an_unreachable_registry_is_one_line(helm, tmp_path, target, code, message):
    out = _one_chart(tmp_path, 2)
    result = publish(out, target, helm)
    assert result.returncode == code
    (line,) = result.stderr.splitlines()
    assert message in line
    assert "Traceback" not in result.stderr
