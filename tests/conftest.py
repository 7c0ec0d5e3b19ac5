"""Shared fixtures: the real tools (helm 3 and 4, cdk8s CLI) and the example output."""

from __future__ import annotations

import importlib.util
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from constructs_lib.cli import default_specs  # noqa: E402
from constructs_lib.manifests import load_documents  # noqa: E402
from constructs_lib.pipeline import build_all, load_models, write_outputs  # noqa: E402

TOOLS = ROOT / ".tools" / "bin"
HELMS = ("helm3", "helm4")
EXAMPLE_CHARTS = (
    "batch-jobs-chart",
    "demo-api-chart",
    "manman-production-chart",
    "myapp-dev-chart",
    "myapp-prod-chart",
    "myapp-staging-chart",
    "payments-ledger-chart",
)
# A chart with every feature and every kind of app: what the examples leave out.
EVERY_SHAPE_SPEC = {
    "domain": "shop",
    "charts": {
        "all": {
            "features": {"pdb": True, "hpa": True, "ingress": True, "gateway": True, "metrics": True, "networkPolicy": True},
            "apps": {
                "cart_api": {"configFiles": {"a.yaml": "x"}},
                "mail_worker": {"healthPath": "/h", "port": 8080, "metrics": {"enabled": True}},
                "cleanup": {"type": "job"},
                "nightly": {"type": "cronjob", "schedule": "@daily"},
            },
            "custom_values": {"gateway.parentRefs": [{"name": "shared"}]},
        }
    },
}
# Fields only a Helm release knows; the synth cannot (design: default render equals synth).
RELEASE_LABELS = ("app.kubernetes.io/instance", "app.kubernetes.io/managed-by", "helm.sh/chart")


def unavailable(message: str) -> NoReturn:
    """Something scripts/setup.sh --test installs is missing: a failure in CI, a skip locally."""
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def installed_crds(*names: str) -> tuple[Path, ...]:
    """CRDs as their projects publish them, from .tools/crds (scripts/setup.sh --test)."""
    paths = tuple(TOOLS.parent / "crds" / name for name in names)
    missing = [str(p.relative_to(ROOT)) for p in paths if not p.exists()]
    if missing:
        unavailable(f"CRDs not installed ({', '.join(missing)}): run scripts/setup.sh --test")
    return paths


def tool(name: str) -> Path:
    """A tool from .tools/bin (scripts/setup.sh --test); missing fails in CI, skips locally."""
    path = TOOLS / name
    if not path.exists():
        found = shutil.which(name)
        if found:
            return Path(found)
        unavailable(f"{name} not installed: run scripts/setup.sh --test")
    return path


@pytest.fixture(params=HELMS)
def helm(request) -> Path:
    """Each test using it runs once with Helm 3 and once with Helm 4."""
    return tool(request.param)


def run_helm(helm: Path, *args, check: bool = True) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "HELM_CACHE_HOME": "/tmp/ehcf-helm/cache",
        "HELM_CONFIG_HOME": "/tmp/ehcf-helm/config",
        "HELM_DATA_HOME": "/tmp/ehcf-helm/data",
    }
    result = subprocess.run([str(helm), *map(str, args)], capture_output=True, text=True, env=env)
    if check and result.returncode != 0:
        raise AssertionError(f"{helm.name} {' '.join(map(str, args))} failed:\n{result.stderr}")
    return result


def render(helm: Path, chart, *args, namespace: str = "apps") -> list[dict]:
    """Objects of `helm template` (hooks included), in render order."""
    out = run_helm(helm, "template", "release", chart, "--namespace", namespace, *args).stdout
    return load_documents(out)


def strip_release_fields(obj: dict) -> dict:
    """The object without what only a release knows (namespace, release labels)."""
    meta = dict(obj["metadata"])
    meta.pop("namespace", None)
    labels = {k: v for k, v in meta.get("labels", {}).items() if k not in RELEASE_LABELS}
    if labels:
        meta["labels"] = labels
    else:
        meta.pop("labels", None)
    return {**obj, "metadata": meta}


def extra_identities(model) -> set[tuple[str, str]]:
    """(kind, name) of the chart's extraObjects, which are rendered as given."""
    return {(o["kind"], o["metadata"]["name"]) for o in model.values["extraObjects"]}


def by_identity(objects: list[dict]) -> dict[tuple[str, str], dict]:
    return {(o["kind"], o["metadata"]["name"]): o for o in objects}


@pytest.fixture(scope="session")
def example_builds():
    """Every example spec built in-process once per session."""
    return {b.model.name: b for b in build_all(load_models(default_specs()))}


@pytest.fixture(scope="session")
def example_out(example_builds, tmp_path_factory) -> Path:
    """The examples written as `python main.py --out DIR` writes them."""
    out = tmp_path_factory.mktemp("examples")
    write_outputs(list(example_builds.values()), out)
    return out


STOREFRONT_APP = ROOT / "examples" / "cdk8s-app"


def compose_storefront():
    """examples/cdk8s-app's (cdk8s App, HelmChart), composed in this process."""
    spec = importlib.util.spec_from_file_location("storefront_app", STOREFRONT_APP / "main.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.compose()


@pytest.fixture(scope="session")
def storefront(tmp_path_factory) -> Path:
    """The outside-user example's output folder, as HelmChart.write writes it (charts/, manifests/, packages/)."""
    out = tmp_path_factory.mktemp("storefront")
    compose_storefront()[1].write(out)
    return out


def run_cli(*args, cwd: Path = ROOT, env: dict | None = None, timeout: int = 300) -> subprocess.CompletedProcess:
    """`python main.py ...` as users run it."""
    return subprocess.run(
        [sys.executable, str(ROOT / "main.py"), *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, **(env or {})},
        timeout=timeout,
    )


# --- what was not tested ------------------------------------------------------------
# A skip means a tool (helm, checkov, kube-score, Bazel, the control plane, the cdk8s
# CLI) was missing. Locally that is allowed and said in one line per reason; in CI
# (`.ci/run` sets CI=true) any skip fails the run, whatever guard let it through.
_SKIPS: dict[str, list[str]] = {}


def pytest_runtest_logreport(report):
    if report.skipped:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        _SKIPS.setdefault(reason.removeprefix("Skipped: "), []).append(report.nodeid)


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session, exitstatus):
    if os.environ.get("CI") and _SKIPS and exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter):
    total = sum(len(ids) for ids in _SKIPS.values())
    terminalreporter.write_line(f"not tested: {total} skipped" + (" (CI: a skip fails the run)" if os.environ.get("CI") and total else ""))
    for reason, ids in sorted(_SKIPS.items()):
        terminalreporter.write_line(f"  {len(ids)} skipped: {reason}")


# --- an OCI registry -------------------------------------------------------------------


@dataclass(frozen=True)
class Registry:
    host: str  # 127.0.0.1:PORT

    def target(self, path: str) -> str:
        return f"oci://{self.host}/{path}"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def registry(tmp_path_factory) -> Registry:
    """The CNCF distribution registry (scripts/setup.sh --test builds it), on 127.0.0.1 over HTTP."""
    binary = tool("registry")
    root = tmp_path_factory.mktemp("registry")
    host = f"127.0.0.1:{_free_port()}"
    config = root / "config.yml"
    config.write_text(
        yaml.safe_dump(
            {
                "version": 0.1,
                "log": {"level": "error", "accesslog": {"disabled": True}},
                "storage": {"filesystem": {"rootdirectory": str(root / "data")}},
                "http": {"addr": host},
            }
        )
    )
    log = (root / "registry.log").open("w")
    process = subprocess.Popen([str(binary), "serve", str(config)], stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://{host}/v2/", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"the registry did not start:\n{(root / 'registry.log').read_text()[-2000:]}")
                time.sleep(0.1)
        yield Registry(host)
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()
