"""A real outside user: this project's wheel in a fresh virtualenv, examples/cdk8s-app
synthesized there by the cdk8s CLI, its Helm chart checked with real Helm 3 and 4.

Nothing of the checkout is on the user's sys.path: the example runs from a copy
outside the repository, on the virtualenv's Python, with the dependencies installed
offline from the wheels `scripts/setup.sh --test` downloaded (.tools/wheels).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import ROOT, STOREFRONT_APP, by_identity, render, run_helm, strip_release_fields, unavailable

from constructs_lib.manifests import load_documents

pytestmark = [pytest.mark.helm, pytest.mark.slow]
BANNER = "end-of-life"  # jsii's Node-version banner


def run(*args, cwd: Path, env: dict | None = None, timeout: int = 300) -> subprocess.CompletedProcess:
    result = subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, f"{' '.join(map(str, args))} failed:\n{result.stdout[-2000:]}\n{result.stderr[-3000:]}"
    return result


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """This project's wheel, built offline from a copy of the sources (the checkout stays clean)."""
    source = tmp_path_factory.mktemp("source")
    shutil.copy(ROOT / "pyproject.toml", source)
    for folder in ("constructs_lib", "imports"):
        shutil.copytree(ROOT / folder, source / folder, symlinks=True, ignore=shutil.ignore_patterns("__pycache__"))
    out = tmp_path_factory.mktemp("wheel")
    run(sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "--disable-pip-version-check", "-w", out, source, cwd=source)
    (built,) = out.glob("enhanced_helm_charts-*.whl")
    return built


@pytest.fixture(scope="module")
def user(wheel, tmp_path_factory) -> dict:
    """A fresh virtualenv with the wheel, and the example synthesized in a folder of its own."""
    wheels = ROOT / ".tools" / "wheels"
    if not (wheels / ".complete").exists():
        unavailable("the runtime wheels are missing: run scripts/setup.sh --test")
    cli = ROOT / "node_modules" / ".bin" / "cdk8s"
    if not cli.exists():
        unavailable("the cdk8s CLI is missing: run scripts/setup.sh")
    home = tmp_path_factory.mktemp("user")
    venv = home / "venv"
    run(sys.executable, "-m", "venv", venv, cwd=home)
    pip = ("-m", "pip", "install", "-q", "--disable-pip-version-check", "--no-index", "--find-links", wheels, "--find-links", wheel.parent)
    run(venv / "bin" / "python", *pip, "enhanced-helm-charts", cwd=home)
    app = home / "storefront"
    shutil.copytree(STOREFRONT_APP, app, ignore=shutil.ignore_patterns("dist", "helm", "node_modules", "__pycache__"))
    (app / "node_modules").symlink_to(ROOT / "node_modules")  # what `npm ci` in the example installs: the cdk8s CLI
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV", "JSII_"))}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env['PATH']}"
    synth = run("npx", "cdk8s", "synth", "--no-check-upgrade", cwd=app, env=env)
    return {"venv": venv, "app": app, "env": env, "synth": synth}


def test_the_wheel_installs_one_package_with_its_generated_imports(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    assert {n.split("/")[0] for n in names} == {"constructs_lib", f"{wheel.name.split('-')[0]}-{wheel.name.split('-')[1]}.dist-info"}
    assert "constructs_lib/py.typed" in names
    assert "constructs_lib/_imports/com/coreos/monitoring/_jsii/comcoreosmonitoring@0.0.0.jsii.tgz" in names
    assert any(n.startswith("constructs_lib/_imports/io/k8s/networking/gateway/") for n in names)


def test_the_example_runs_on_the_installed_package_without_a_banner(user):
    where = run(user["venv"] / "bin" / "python", "-c", "import constructs_lib; print(constructs_lib.__file__)", cwd=user["app"], env=user["env"])
    assert where.stdout.startswith(str(user["venv"])), where.stdout
    assert BANNER not in user["synth"].stdout + user["synth"].stderr
    assert (user["app"] / "dist" / "storefront.k8s.yaml").is_file()
    assert (user["app"] / "helm" / "charts" / "storefront" / "values.schema.json").is_file()


def test_the_props_are_a_real_signature_and_a_wrong_type_names_the_construct_and_prop(user):
    signature = run(
        user["venv"] / "bin" / "python",
        "-c",
        "import inspect, constructs_lib as c; print(inspect.signature(c.ApiService))",
        cwd=user["app"],
        env=user["env"],
    )
    assert "image: 'str'" in signature.stdout and "health_path" in signature.stdout and "replicas" in signature.stdout
    wrong = subprocess.run(
        [
            user["venv"] / "bin" / "python",
            "-c",
            "import constructs_lib as c, cdk8s\nc.ApiService(cdk8s.Chart(cdk8s.App(), 'shop'), 'cart', image='r/cart:1', replicas='three')",
        ],
        cwd=user["app"],
        env=user["env"],
        capture_output=True,
        text=True,
    )
    assert wrong.returncode != 0
    assert "PropsError: shop/cart: replicas:" in wrong.stderr, wrong.stderr[-1500:]
    assert BANNER not in wrong.stderr


def test_the_chart_passes_lint_strict(helm, user):
    run_helm(helm, "lint", "--strict", user["app"] / "helm" / "charts" / "storefront")


def test_the_default_render_equals_the_cdk8s_cli_synth(helm, user):
    synth = load_documents((user["app"] / "dist" / "storefront.k8s.yaml").read_text())
    rendered = render(helm, user["app"] / "helm" / "charts" / "storefront")
    assert by_identity([strip_release_fields(o) for o in rendered]) == by_identity(synth)


def test_a_bound_knob_of_a_kplus_object_is_live(helm, user):
    rendered = by_identity(render(helm, user["app"] / "helm" / "packages" / "storefront-1.4.0.tgz", "--set", "logLevel=debug"))
    assert rendered[("ConfigMap", "storefront-settings")]["data"] == {"LOG_LEVEL": "debug"}
