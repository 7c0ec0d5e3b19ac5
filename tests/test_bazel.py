"""Bazel integration (tools/enhanced_helm_chart_release.bzl), built with the real `bazel`.

What runs: the in-repo //examples/... (built and tested with helm 3 and 4 from
local_helm and the //tools:helm label flag, and compared byte for
byte with `python main.py charts_spec/<domain>.yaml`), and a temporary outside
workspace that uses this repo through `local_repository`: the seed's manman
snippet (built, tested, compared with the CLI) and one package per error case
(bad feature value, unknown feature, missing or wrong release_app, wrong or
invalid domain, a generator error).

The outside workspace docs/bazel.md gives (WORKSPACE, .bazelrc, BUILD and
commands in marked fenced blocks) is extracted from the docs and built and
tested in a fresh directory, so the docs and this test cannot drift.

Offline Bazel 4.2.3 (Debian's bazel-bootstrap) needs the stub repositories in
tests/bazel_stubs/. One output_user_root is shared by the whole session (Bazel
is slow to start) and the servers are shut down at the end.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
import yaml
from conftest import HELMS, tool, unavailable

pytestmark = [pytest.mark.bazel, pytest.mark.slow]

REPO = Path(__file__).resolve().parent.parent
STUBS = REPO / "tests" / "bazel_stubs"
BAZEL = shutil.which("bazel")
# The in-repo examples and the spec file each mirrors.
EXAMPLE_SPECS = ("demo", "manman", "myapp", "batch")

if BAZEL is None:
    _missing = "the bazel binary is not on PATH (scripts/setup.sh --test installs Debian's bazel-bootstrap, Bazel 4.2.3)"
    if os.environ.get("CI"):  # CI installs it: a missing Bazel there is a failure, not a skip
        pytest.fail(_missing, pytrace=False)
    pytest.skip(_missing, allow_module_level=True)


def _wheels() -> Path:
    """The generator's requirements as wheels (scripts/setup.sh --test): ehc_python installs them offline."""
    wheels = REPO / ".tools" / "wheels"
    if not wheels.is_dir():
        unavailable("no wheels in .tools/wheels for ehc_python: run scripts/setup.sh --test")
    return wheels


def _python() -> str:
    """The interpreter the Bazel actions run: the project's virtualenv if present, else this one."""
    venv = REPO / ".venv" / "bin" / "python"
    return str(venv) if venv.exists() else sys.executable


class Bazel:
    """Runs bazel in one workspace with the shared output root (or its own output base) and the offline flags."""

    def __init__(self, workspace: Path, output_user_root: Path, output_base: Path | None = None):
        self.workspace = workspace
        where = f"--output_base={output_base}" if output_base else f"--output_user_root={output_user_root}"
        self.startup = [where, "--max_idle_secs=600"]
        self.flags = [
            f"--override_repository=rules_cc={STUBS / 'rules_cc'}",
            f"--override_repository=rules_java={STUBS / 'rules_java'}",
            f"--override_repository=remote_coverage_tools={STUBS / 'remote_coverage_tools'}",
            # Only the custom generator's action (Bazel's default shell env) reads it;
            # the chart actions run @ehc_python (tools/python.bzl) with a fixed env.
            f"--action_env=EHC_PYTHON={_python()}",
            "--symlink_prefix=/",  # no bazel-* links in the source tree
            "--nosandbox_debug",
            "--color=no",
            "--curses=no",
        ]
        self._bin: Path | None = None
        self.helm_dir: Path | None = None  # the outside workspace's helm wrappers (local_helm)

    def run(self, command: str, *args: str, check: bool = True, env: dict | None = None) -> subprocess.CompletedProcess:
        result = subprocess.run(
            [BAZEL, *self.startup, command, *self.flags, *args],
            cwd=self.workspace,
            capture_output=True,
            text=True,
            check=False,
            env={**os.environ, **(env or {})},
        )
        if check and result.returncode != 0:
            pytest.fail(f"bazel {command} {' '.join(args)} failed ({result.returncode}):\n{result.stderr[-6000:]}")
        return result

    @property
    def bin(self) -> Path:
        if self._bin is None:
            self._bin = Path(self.run("info", "bazel-bin").stdout.strip())
        return self._bin

    def shutdown(self) -> None:
        subprocess.run([BAZEL, *self.startup, "shutdown"], cwd=self.workspace, capture_output=True, check=False)


def _need_helms() -> None:
    """The chart tests run both helms and fail without them: conftest.tool fails (CI) or skips first."""
    for name in HELMS:
        tool(name)


def _helm_wrapper(name: str) -> str:
    """A helm executable that is a different file from the real one (a test input the tests can change)."""
    return f'#!/bin/sh\nexec "{REPO / ".tools" / "bin" / name}" "$@"\n'


# --- the seed's manman snippet, in a workspace of its own ----------------------
# Mirrors charts_spec/manman.yaml (test_outside_workspace_spec_mirrors_manman_yaml
# says so when one of them changes). The release_apps come first here; the
# in-repo example declares the macro first: order does not matter.

OUTSIDE_MANMAN = """\
load("@enhanced_helm_charts//tools:enhanced_helm_chart_release.bzl", "enhanced_helm_chart_release_macro", "release_app")

release_app(
    name = "experience_api",
    binary_target = "//manman/src/host:experience_api",
    language = "python",
    domain = "manman",
    description = "Experience API",
    image = "registry.example.com/manman/experience-api",
)

release_app(
    name = "status_api",
    binary_target = "//manman/src/host:status_api",
    language = "python",
    domain = "manman",
    description = "Status API",
)

release_app(
    name = "worker_dal_api",
    binary_target = "//manman/src/host:worker_dal_api",
    language = "python",
    domain = "manman",
    description = "Worker data-access API (an api by its last word, though it says worker)",
)

release_app(
    name = "status_processor",
    binary_target = "//manman/src/host:status_processor",
    language = "python",
    domain = "manman",
    description = "Consumes status events",
    command = ["python", "-m", "status_processor"],
)

enhanced_helm_chart_release_macro(
    domain = "manman",
    image_registry = "registry.example.com",
    charts = {
        "production_chart": {
            "description": "ManMan production deployment",
            "version": "0.1.0",
            "app_version": "1.4.2",
            "apps": ["experience_api", "status_api", "worker_dal_api", "status_processor"],
            "features": {
                "pdb": "true",
                "hpa": "true",
                "ingress": "true",
            },
            "custom_values": {
                "global.env.APP_ENV": "production",
                "ingress.host": "api.manman.com",
            },
        },
    },
)
"""

LOAD = 'load("@enhanced_helm_charts//tools:enhanced_helm_chart_release.bzl", "enhanced_helm_chart_release_macro", "release_app")\n'


def _error_package(chart: dict, extra: str = "", domain: str = "manman", release_domain: str = "manman") -> str:
    return (
        LOAD
        + extra
        + f'release_app(name = "status_api", domain = "{release_domain}", language = "python")\n'
        + f"enhanced_helm_chart_release_macro(domain = {json.dumps(domain)}, charts = {{'production_chart': {json.dumps(chart)}}})\n"
    )


# A generator given as an executable target (what a rules_python py_binary of
# main.py would be): here a shell script running main.py from its runfiles.
CUSTOM_GENERATOR_BUILD = (
    LOAD
    + """\
sh_binary(name = "gen", srcs = ["gen.sh"], data = ["@enhanced_helm_charts//:generator_srcs"])
release_app(name = "status_api", domain = "manman", language = "python")
enhanced_helm_chart_release_macro(
    domain = "manman",
    generator = ":gen",
    charts = {"production_chart": {"apps": ["status_api"], "features": {"pdb": True}}},
)
"""
)
CUSTOM_GENERATOR_SH = """\
#!/bin/bash
set -euo pipefail
echo "custom generator: $*" >&2
exec "$EHC_PYTHON" "${RUNFILES_DIR:-$0.runfiles}/enhanced_helm_charts/main.py" "$@"
"""

# A release_app in another package (with its own app name), found through `release_apps`.
CROSS_PACKAGE_APPS = (
    LOAD
    + """\
release_app(
    name = "status_api_release",
    app = "status_api",
    domain = "manman",
    language = "python",
    binary_target = ":status_api_bin",
    tag = "9.9.9",
    visibility = ["//visibility:public"],
)
"""
)
CROSS_PACKAGE_CHARTS = (
    LOAD
    + """\
enhanced_helm_chart_release_macro(
    domain = "manman",
    release_apps = {"status_api": "//cross_apps:status_api_release"},
    apps_without_release_app = ["hello_api"],
    charts = {"production_chart": {"apps": ["status_api", "hello_api"], "features": {"hpa": False}}},
)
"""
)

# The macro's own helm (one binary that local_helm exports) instead of the label flag.
HELM_ARGUMENT_BUILD = (
    LOAD
    + """\
release_app(name = "status_api", domain = "manman", language = "python")
enhanced_helm_chart_release_macro(
    domain = "manman",
    helm = "@helm//:helm3",
    helm_versions = ["3"],
    charts = {"production_chart": {"apps": ["status_api"]}},
)
"""
)

# Stamping: the manman snippet (default keys STABLE_CHART_VERSION / STABLE_APP_VERSION)
# and a chart whose version is the --embed_label.
STAMPED_BUILD = (
    OUTSIDE_MANMAN
    + """
enhanced_helm_chart_release_macro(
    domain = "manman",
    charts = {"label_chart": {"version": "0.0.1", "apps": ["status_api"], "stamp_version": "BUILD_EMBED_LABEL"}},
)
"""
)
STATUS_COMMAND = """\
#!/bin/sh
echo "STABLE_CHART_VERSION ${TEST_CHART_VERSION:-1.2.3}"
echo "STABLE_APP_VERSION 2.0.0-rc.1"
"""

ERROR_PACKAGES = {
    "bad_feature_value": _error_package({"apps": ["status_api"], "features": {"pdb": "yes"}}),
    "unknown_feature": _error_package({"apps": ["status_api"], "features": {"canary": "true"}}),
    "missing_release_app": _error_package({"apps": ["status_api", "ghost_api"]}),
    "not_release_app": _error_package({"apps": ["status_api", "helper_api"]}, extra='filegroup(name = "helper_api")\n'),
    "wrong_domain": _error_package({"apps": ["status_api"]}, release_domain="other"),
    "invalid_domain": _error_package({"apps": ["status_api"]}, domain="Bad Domain"),
}

# Errors the generator finds when the chart builds (built together, --keep_going):
# each names the BUILD target and the key, in one line.
GENERATOR_ERRORS = {
    "generator_error": (
        _error_package({"apps": ["status_api"], "custom_values": {"nosuch.value": "x"}}),
        """//generator_error:manman_production_chart: charts.production_chart.custom_values."nosuch.value": the chart has no value 'nosuch'""",
    ),
    "bad_custom_value": (
        _error_package({"apps": ["status_api"], "custom_values": {"global.env": 3}}),
        """//bad_custom_value:manman_production_chart: charts.production_chart.custom_values."global.env": expected a mapping, got an integer""",
    ),
    "bad_chart_app_setting": (
        _error_package({"apps": {"status_api": {"replicas": "many"}}}),
        "//bad_chart_app_setting:manman_production_chart: charts.production_chart.apps.status_api.replicas: expected an integer, got a string",
    ),
    "bad_release_app_setting": (
        LOAD
        + 'release_app(name = "status_api", domain = "manman", settings = {"port": "abc"})\n'
        + "enhanced_helm_chart_release_macro(domain = 'manman', charts = {'production_chart': {'apps': ['status_api']}})\n",
        '//bad_release_app_setting:status_api: settings.port: expected an integer, got a string (release_app of app "status_api",'
        " in chart //bad_release_app_setting:manman_production_chart)",
    ),
}


# --- fixtures ----------------------------------------------------------------------


@pytest.fixture(scope="session")
def output_user_root(tmp_path_factory):
    return tmp_path_factory.mktemp("bazel-root")


@pytest.fixture(scope="session")
def disk_cache(tmp_path_factory):
    return tmp_path_factory.mktemp("disk-cache")


@pytest.fixture(scope="session")
def repo_bazel(output_user_root, disk_cache):
    bazel = Bazel(REPO, output_user_root)
    bazel.flags.append(f"--disk_cache={disk_cache}")  # what a shared cache would hold: see test_chart_actions_*
    yield bazel
    bazel.shutdown()


@pytest.fixture(scope="session")
def outside(output_user_root, tmp_path_factory):
    workspace = tmp_path_factory.mktemp("outside-ws")
    # Helm as docs/bazel.md tells an outside workspace to supply it: local_helm and the label flag.
    helm_dir = tmp_path_factory.mktemp("outside-helm")
    for name in HELMS:
        (helm_dir / name).write_text(_helm_wrapper(name))
        (helm_dir / name).chmod(0o755)
    (workspace / "WORKSPACE").write_text(
        f'workspace(name = "outside")\n\nlocal_repository(name = "enhanced_helm_charts", path = "{REPO}")\n'
        'load("@enhanced_helm_charts//tools:helm.bzl", "local_helm")\n'
        f'local_helm(name = "helm", paths = {json.dumps([str(helm_dir / name) for name in HELMS])})\n'
        'local_helm(name = "helm_missing", paths = ["/nonexistent/bin/helm4"])\n'
        'load("@enhanced_helm_charts//tools:python.bzl", "ehc_python")\n'
        f'ehc_python(name = "ehc_python", wheels = "{_wheels()}")\n'
    )
    (workspace / ".bazelrc").write_text(
        "build --@enhanced_helm_charts//tools:helm=@helm//:helm\nbuild --@enhanced_helm_charts//tools:python=@ehc_python//:python\n"
    )
    (workspace / "BUILD.bazel").write_text("")
    (workspace / "manman").mkdir()
    (workspace / "manman" / "BUILD.bazel").write_text(OUTSIDE_MANMAN)
    (workspace / "custom_generator").mkdir()
    (workspace / "custom_generator" / "BUILD.bazel").write_text(CUSTOM_GENERATOR_BUILD)
    (workspace / "custom_generator" / "gen.sh").write_text(CUSTOM_GENERATOR_SH)
    (workspace / "custom_generator" / "gen.sh").chmod(0o755)
    for package, build in {
        "cross_apps": CROSS_PACKAGE_APPS,
        "cross_charts": CROSS_PACKAGE_CHARTS,
        "stamped": STAMPED_BUILD,
        "helm_argument": HELM_ARGUMENT_BUILD,
    }.items():
        (workspace / package).mkdir()
        (workspace / package / "BUILD.bazel").write_text(build)
    for package, (build, _) in GENERATOR_ERRORS.items():
        (workspace / package).mkdir()
        (workspace / package / "BUILD.bazel").write_text(build)
    for package, build in ERROR_PACKAGES.items():
        (workspace / package).mkdir()
        (workspace / package / "BUILD.bazel").write_text(build)
    bazel = Bazel(workspace, output_user_root)
    bazel.helm_dir = helm_dir
    yield bazel
    bazel.shutdown()


@pytest.fixture(scope="session")
def cli_out(tmp_path_factory):
    """`python main.py charts_spec/<each example>.yaml --out DIR`: what Bazel must reproduce."""
    out = tmp_path_factory.mktemp("cli")
    specs = [str(REPO / "charts_spec" / f"{name}.yaml") for name in EXAMPLE_SPECS]
    result = subprocess.run([_python(), str(REPO / "main.py"), *specs, "--out", str(out)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    return out


@pytest.fixture(scope="session")
def examples_built(repo_bazel):
    repo_bazel.run("build", "//examples/...")
    return repo_bazel.bin / "examples"


@pytest.fixture(scope="session")
def outside_built(outside):
    outside.run("build", "//manman:all")
    return outside.bin / "manman" / "manman_production_chart"


# --- helpers -------------------------------------------------------------------------


def _specs():
    """(domain, chart key, spec document) of every chart the examples mirror."""
    for name in EXAMPLE_SPECS:
        doc = yaml.safe_load((REPO / "charts_spec" / f"{name}.yaml").read_text())
        for chart in doc["charts"]:
            yield doc["domain"], chart, doc


def _chart_name(domain: str, chart: str) -> str:
    return f"{domain}-{chart}".replace("_", "-").lower()


def _normalized_spec(doc: dict, chart: str) -> dict:
    """One chart's spec as the generator sees it: features as booleans, only the apps it uses."""
    entry = dict(doc["charts"][chart])
    entry["features"] = {k: v if isinstance(v, bool) else v.lower() == "true" for k, v in entry.get("features", {}).items()}
    if not entry["features"]:
        del entry["features"]
    used = entry["apps"] if isinstance(entry["apps"], list) else list(entry["apps"])
    out = {"domain": doc["domain"], "charts": {chart: entry}}
    if "image_registry" in doc:
        out["image_registry"] = doc["image_registry"]
    apps = {a: settings for a, settings in (doc.get("apps") or {}).items() if a in used}
    if apps:
        out["apps"] = apps
    return out


def _compare_outputs(bazel_dir: Path, cli: Path, name: str, version: str, built_package: str | None = None) -> list[str]:
    """Differences between Bazel's outputs of one chart and the CLI's (empty when byte-identical)."""
    problems = []
    package = f"{name}-{version}.tgz"
    built, expected = bazel_dir / (built_package or package), cli / "packages" / package
    if not built.exists():
        return [f"Bazel made no {built}"]
    if built.read_bytes() != expected.read_bytes():
        problems.append(f"{package} differs from `main.py` output")
    manifest = f"{name}.k8s.yaml"
    if (bazel_dir / manifest).read_bytes() != (cli / "manifests" / manifest).read_bytes():
        problems.append(f"{manifest} differs")
    ours = {p.relative_to(bazel_dir / name): p.read_bytes() for p in (bazel_dir / name).rglob("*") if p.is_file()}
    theirs = {p.relative_to(cli / "charts" / name): p.read_bytes() for p in (cli / "charts" / name).rglob("*") if p.is_file()}
    for rel in sorted(set(ours) | set(theirs)):
        if ours.get(rel) != theirs.get(rel):
            mine = (ours.get(rel) or b"").decode(errors="replace").splitlines()
            cli_lines = (theirs.get(rel) or b"").decode(errors="replace").splitlines()
            first = next((i for i, (a, b) in enumerate(zip(mine, cli_lines, strict=False)) if a != b), min(len(mine), len(cli_lines)))
            bazel_line = mine[first] if first < len(mine) else "<end>"
            cli_line = cli_lines[first] if first < len(cli_lines) else "<end>"
            problems.append(f"chart file {rel} differs at line {first + 1}: bazel {bazel_line!r} vs cli {cli_line!r}")
    return problems


# --- in-repo examples ----------------------------------------------------------------


@pytest.mark.parametrize(("domain", "chart"), [(d, c) for d, c, _ in _specs()])
def test_example_spec_mirrors_charts_spec(examples_built, domain, chart):
    doc = yaml.safe_load((REPO / "charts_spec" / f"{domain}.yaml").read_text())
    written = json.loads((examples_built / f"{domain}_{chart}" / f"{domain}.json").read_text())
    assert written == _normalized_spec(doc, chart), f"examples/BUILD.bazel no longer mirrors charts_spec/{domain}.yaml ({chart})"


@pytest.mark.parametrize(("domain", "chart"), [(d, c) for d, c, _ in _specs()])
def test_example_is_byte_identical_to_cli(examples_built, cli_out, domain, chart):
    doc = yaml.safe_load((REPO / "charts_spec" / f"{domain}.yaml").read_text())
    version = doc["charts"][chart].get("version", "0.1.0")
    problems = _compare_outputs(examples_built / f"{domain}_{chart}", cli_out, _chart_name(domain, chart), version)
    assert not problems, "\n".join(problems)


@pytest.fixture(scope="session")
def cli_on_bazel_specs(examples_built, tmp_path_factory):
    """`main.py` on the JSON specs Bazel wrote: isolates the rule from how the spec file is named."""
    out = tmp_path_factory.mktemp("cli-bazel-specs")
    specs = [str(examples_built / f"{d}_{c}" / f"{d}.json") for d, c, _ in _specs()]
    result = subprocess.run([_python(), str(REPO / "main.py"), *specs, "--out", str(out)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    return out


@pytest.mark.parametrize(("domain", "chart"), [(d, c) for d, c, _ in _specs()])
def test_example_equals_cli_on_the_same_json_spec(examples_built, cli_on_bazel_specs, domain, chart):
    doc = yaml.safe_load((REPO / "charts_spec" / f"{domain}.yaml").read_text())
    version = doc["charts"][chart].get("version", "0.1.0")
    problems = _compare_outputs(examples_built / f"{domain}_{chart}", cli_on_bazel_specs, _chart_name(domain, chart), version)
    assert not problems, "\n".join(problems)


def test_this_repo_builds_offline_without_override_flags(examples_built, repo_bazel):
    """The WORKSPACE declares the stubs: the README's `bazel build //examples/...` needs no flags."""
    plain = Bazel(REPO, repo_bazel.startup[0].split("=", 1)[1])
    plain.flags = [f for f in repo_bazel.flags if not f.startswith("--override_repository")]
    result = plain.run("build", "//examples/...")
    assert "Build completed successfully" in result.stderr


def test_example_chart_tests_pass(examples_built, repo_bazel):
    # The repo's .bazelrc points //tools:helm at local_helm(name = "ehc_helm") of .tools/bin.
    _need_helms()
    result = repo_bazel.run("test", "//examples/...", "--test_output=all")
    tests = [f"{d}_{c}_test" for d, c, _ in _specs()]
    output = result.stdout + result.stderr
    for test in tests:
        assert f"//examples:{test}" in output
    # Each test runs lint --strict and template with both majors, through the declared binaries.
    assert output.count("ok: Helm 3 (") == len(tests), output[-3000:]
    assert output.count("ok: Helm 4 (") == len(tests), output[-3000:]
    assert output.count("/ehc_helm/helm4): lint --strict and template") == len(tests), output[-3000:]


def test_a_chart_test_without_helm_fails(examples_built, repo_bazel):
    # The flag's default is an empty filegroup: what a workspace that never configured helm gets.
    result = repo_bazel.run(
        "test", "//examples:demo_api_chart_test", "--test_output=errors", "--//tools:helm=//tools:helm_not_configured", check=False
    )
    assert result.returncode == 3, result.stderr[-2000:]  # bazel test: build fine, tests failed
    output = result.stdout + result.stderr
    assert "FAIL //examples:demo_api_chart: no helm binary: --//tools:helm is empty" in output
    assert "//examples:demo_api_chart_test  " in output and "FAILED in" in output


def test_a_chart_test_with_only_helm_3_fails(examples_built, repo_bazel):
    _need_helms()
    result = repo_bazel.run("test", "//examples:demo_api_chart_test", "--test_output=errors", "--//tools:helm=@ehc_helm//:helm3", check=False)
    assert result.returncode == 3, result.stderr[-2000:]
    output = result.stdout + result.stderr
    assert "FAIL //examples:demo_api_chart: no Helm 4 among the helm binaries of --//tools:helm (found Helm 3)" in output


def test_a_chart_without_generator_python_fails(examples_built, repo_bazel):
    """The label flag's default (no ehc_python): building a chart fails in one line saying how to set it."""
    result = repo_bazel.run("build", "//examples:demo_api_chart", "--//tools:python=//tools:python_not_configured", check=False)
    assert result.returncode == 1, result.stderr[-2000:]
    expected = "//examples:demo_api_chart: no generator Python: --//tools:python is not set; declare ehc_python("
    assert expected in result.stderr, result.stderr[-2000:]
    assert "Generating Helm chart demo-api-chart (//examples:demo_api_chart) failed: (Exit 2)" in result.stderr


# --- hermetic chart actions: a shared cache whatever PATH the client has ----------------


def _spawns(log: Path) -> list[dict]:
    """The spawns of a `--execution_log_json_file` (concatenated JSON objects)."""
    text, decoder, index, spawns = log.read_text(), json.JSONDecoder(), 0, []
    while True:
        while index < len(text) and text[index].isspace():
            index += 1
        if index == len(text):
            return spawns
        spawn, index = decoder.raw_decode(text, index)
        spawns.append(spawn)


def test_chart_actions_hit_a_shared_disk_cache_across_path_and_output_base(examples_built, repo_bazel, disk_cache, tmp_path):
    """The session built //examples/... with --disk_cache; a fresh output base, its own ehc_python
    virtualenv and a PATH with another directory first build them again: every chart action is a cache hit."""
    dummy = tmp_path / "dummy-bin"
    dummy.mkdir()
    (dummy / "unrelated-tool").write_text("#!/bin/sh\nexit 0\n")
    (dummy / "unrelated-tool").chmod(0o755)
    fresh = Bazel(REPO, repo_bazel.startup[0].split("=", 1)[1], output_base=tmp_path / "output-base")
    fresh.flags = list(repo_bazel.flags)
    log = tmp_path / "exec.json"
    try:
        result = fresh.run("build", "//examples/...", f"--execution_log_json_file={log}", env={"PATH": f"{dummy}:{os.environ['PATH']}"})
        charts = [s for s in _spawns(log) if s.get("mnemonic") == "EnhancedHelmChart"]
        assert len(charts) == len(list(_specs())), [s.get("progressMessage") for s in charts]
        missed = [s["progressMessage"] for s in charts if not s.get("remoteCacheHit")]
        assert not missed, f"not from the disk cache: {missed}"
        assert all(s.get("environmentVariables", []) == [] for s in charts), charts[0].get("environmentVariables")
        assert f"{len(charts)} remote cache hit" in result.stderr, result.stderr[-2000:]
        fresh_bin = Path(fresh.run("info", "bazel-bin").stdout.strip()) / "examples"
        assert fresh_bin != examples_built
        for domain, chart, _ in _specs():
            name = f"{domain}_{chart}"
            for built in (examples_built / name).rglob("*"):
                if built.is_file():
                    assert (fresh_bin / name / built.relative_to(examples_built / name)).read_bytes() == built.read_bytes(), built
    finally:
        fresh.shutdown()


# --- from another workspace ----------------------------------------------------------


def test_outside_workspace_builds_manman_package(outside_built):
    package = outside_built / "manman-production-chart-0.1.0.tgz"
    assert package.exists()
    with tarfile.open(package) as tar:
        names = tar.getnames()
    assert "manman-production-chart/values.schema.json" in names
    assert "manman-production-chart/Chart.yaml" in names
    templates = [n for n in names if n.startswith("manman-production-chart/templates/") and n.endswith(".yaml")]
    assert len(templates) >= 8, names
    assert (outside_built / "manman-production-chart" / "values.schema.json").is_file()
    assert (outside_built / "manman-production-chart.k8s.yaml").is_file()


def test_outside_workspace_spec_mirrors_manman_yaml(outside_built):
    doc = yaml.safe_load((REPO / "charts_spec" / "manman.yaml").read_text())
    written = json.loads((outside_built / "manman.json").read_text())
    assert written == _normalized_spec(doc, "production_chart"), "OUTSIDE_MANMAN no longer mirrors charts_spec/manman.yaml"


def test_outside_workspace_matches_cli_bytes(outside_built, cli_out):
    problems = _compare_outputs(outside_built, cli_out, "manman-production-chart", "0.1.0")
    assert not problems, "\n".join(problems)


def test_outside_workspace_chart_test(outside_built, outside):
    _need_helms()
    result = outside.run("test", "//manman:manman_production_chart_test", "--test_output=all")
    output = result.stdout + result.stderr
    assert "ok: manman/manman_production_chart/manman-production-chart-0.1.0.tgz" in output
    assert "ok: Helm 3 (v3." in output and "../helm/helm3): lint --strict and template" in output
    assert "ok: Helm 4 (v4." in output and "../helm/helm4): lint --strict and template" in output


def test_outside_workspace_changed_helm_reruns_the_chart_test(outside_built, outside):
    """The helm binaries are inputs of the chart test: new bytes, no `(cached) PASSED`."""
    _need_helms()
    target = "//manman:manman_production_chart_test"
    outside.run("test", target)
    again = outside.run("test", target)
    assert f"{target}  " in again.stdout + again.stderr and "(cached) PASSED" in again.stdout + again.stderr, again.stdout
    wrapper = outside.helm_dir / "helm4"
    wrapper.write_text(wrapper.read_text() + "# a new helm 4\n")
    rerun = outside.run("test", target, "--test_output=all")
    output = rerun.stdout + rerun.stderr
    assert "(cached)" not in output and "PASSED" in output, output[-3000:]
    assert "ok: Helm 4 (v4." in output


def test_outside_workspace_macro_helm_argument(outside):
    """`helm` and `helm_versions` of one macro call win over the label flag."""
    _need_helms()
    result = outside.run("test", "//helm_argument:manman_production_chart_test", "--test_output=all")
    output = result.stdout + result.stderr
    assert "ok: Helm 3 (v3." in output and "../helm/helm3): lint --strict and template" in output
    assert "Helm 4" not in output


def test_outside_workspace_missing_helm_names_the_path(outside_built, outside):
    result = outside.run(
        "test",
        "//manman:manman_production_chart_test",
        "--test_output=errors",
        "--@enhanced_helm_charts//tools:helm=@helm_missing//:helm",
        check=False,
    )
    assert result.returncode == 3, result.stderr[-2000:]
    output = result.stdout + result.stderr
    assert "FAIL //manman:manman_production_chart: ../helm_missing/helm4 version failed:" in output
    assert 'local_helm(name = "helm_missing"): /nonexistent/bin/helm4 does not exist' in output


def test_outside_workspace_push_target_publishes_the_package(outside_built, outside, registry, tmp_path):
    """`bazel run //manman:manman_production_chart_push -- oci://...` as docs/bazel.md gives it."""
    helm = tool("helm4")
    target = registry.target("bazel")
    result = outside.run(
        "run", "//manman:manman_production_chart_push", "--", target, "--plain-http", "--helm", str(helm), env={"EHC_PYTHON": _python()}
    )
    assert result.stdout.startswith(f"{target}/manman-production-chart:0.1.0 sha256:"), result.stdout + result.stderr[-2000:]
    pulled = subprocess.run(
        [str(helm), "pull", f"{target}/manman-production-chart", "--version", "0.1.0", "--plain-http", "--destination", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert pulled.returncode == 0, pulled.stderr
    assert (tmp_path / "manman-production-chart-0.1.0.tgz").read_bytes() == (outside_built / "manman-production-chart-0.1.0.tgz").read_bytes()


def test_outside_workspace_custom_generator(outside, tmp_path):
    result = outside.run("build", "//custom_generator:all")
    assert "custom generator: " in result.stderr
    built = outside.bin / "custom_generator" / "manman_production_chart"
    cli = subprocess.run(
        [_python(), str(REPO / "main.py"), str(built / "manman.json"), "--out", str(tmp_path)], capture_output=True, text=True, check=False
    )
    assert cli.returncode == 0, cli.stderr
    assert _compare_outputs(built, tmp_path, "manman-production-chart", "0.1.0") == []


def test_outside_workspace_release_app_from_another_package(outside):
    # Only the spec output group: the JSON handed to the generator, without running it.
    outside.run("build", "//cross_charts:manman_production_chart", "--output_groups=spec")
    spec = json.loads((outside.bin / "cross_charts" / "manman_production_chart" / "manman.json").read_text())
    assert spec["apps"] == {"status_api": {"tag": "9.9.9", "language": "python", "binary_target": "//cross_apps:status_api_bin"}}
    assert spec["charts"]["production_chart"]["apps"] == ["status_api", "hello_api"]
    assert spec["charts"]["production_chart"]["features"] == {"hpa": False}


# --- errors --------------------------------------------------------------------------


def _failure(bazel: Bazel, package: str, *flags: str) -> str:
    result = bazel.run("build", f"//{package}:all", *flags, check=False)
    assert result.returncode != 0, f"//{package} built, but should have failed"
    return result.stderr


def test_bad_feature_value_fails_analysis(outside):
    err = _failure(outside, "bad_feature_value", "--nobuild")
    assert "Analysis of target '//bad_feature_value:manman_production_chart' failed" in err
    assert 'chart "production_chart"' in err and 'features.pdb: expected "true" or "false" (or True/False), got "yes"' in err


def test_unknown_feature_fails_analysis(outside):
    err = _failure(outside, "unknown_feature", "--nobuild")
    assert 'chart "production_chart"' in err and 'features.canary: unknown feature "canary"' in err


def test_app_that_is_not_a_release_app_fails_analysis(outside):
    err = _failure(outside, "not_release_app", "--nobuild")
    assert 'chart "production_chart"' in err and "apps.helper_api: //not_release_app:helper_api is not a release_app target" in err


def test_app_without_release_app_target_fails_analysis(outside):
    # Bazel itself reports the missing label, naming the chart target, the attribute and the app's target.
    err = _failure(outside, "missing_release_app", "--nobuild")
    assert "in apps attribute of _enhanced_helm_chart rule //missing_release_app:manman_production_chart" in err
    assert "rule '//missing_release_app:ghost_api' does not exist" in err


def test_release_app_of_another_domain_fails_analysis(outside):
    err = _failure(outside, "wrong_domain", "--nobuild")
    assert 'apps.status_api: release_app //wrong_domain:status_api belongs to domain "other", not "manman"' in err


def test_invalid_domain_fails_loading(outside):
    err = _failure(outside, "invalid_domain", "--nobuild")
    assert 'enhanced_helm_chart_release_macro(domain = "Bad Domain"): domain: invalid domain' in err


@pytest.fixture(scope="session")
def generator_errors(outside) -> str:
    result = outside.run("build", "--keep_going", *(f"//{package}:all" for package in GENERATOR_ERRORS), check=False)
    assert result.returncode == 1, result.stderr[-3000:]  # build failure
    return result.stderr


@pytest.mark.parametrize("package", list(GENERATOR_ERRORS))
def test_generator_error_names_the_target_and_key(generator_errors, package):
    """The generator's `SPEC.json: KEY: message` names the BUILD target instead of the JSON under bazel-out."""
    expected = GENERATOR_ERRORS[package][1]
    assert expected in generator_errors.splitlines(), generator_errors[-4000:]
    assert f"//{package}:manman_production_chart) failed: (Exit 2)" in generator_errors  # the generator's bad-input code
    assert f"{package}/manman_production_chart/manman.json:" not in generator_errors  # not the generated file
    assert "Traceback" not in generator_errors and "the generator failed" not in generator_errors


def test_bad_stamped_version_names_the_target_and_status_key(outside, tmp_path):
    status = tmp_path / "status.sh"
    status.write_text(STATUS_COMMAND)
    status.chmod(0o755)
    result = outside.run(
        "build",
        "//stamped:manman_production_chart",
        "--stamp",
        f"--workspace_status_command={status}",
        check=False,
        env={"TEST_CHART_VERSION": "1.x"},
    )
    assert result.returncode == 1, result.stderr[-3000:]
    expected = (
        "//stamped:manman_production_chart: charts.production_chart.version: expected a semantic version like 1.2.3, got '1.x'"
        " (stamped from workspace status STABLE_CHART_VERSION)"
    )
    assert expected in result.stderr.splitlines(), result.stderr[-3000:]


# --- stamping --------------------------------------------------------------------------


def test_stamped_build_takes_versions_from_workspace_status(outside, cli_out, tmp_path):
    status = tmp_path / "status.sh"
    status.write_text(STATUS_COMMAND)
    status.chmod(0o755)
    stamp = ["--stamp", f"--workspace_status_command={status}", "--embed_label=3.0.0"]
    outside.run("build", "//stamped:manman_production_chart", "//stamped:manman_label_chart", *stamp)
    built = outside.bin / "stamped" / "manman_production_chart"
    chart = yaml.safe_load((built / "manman-production-chart" / "Chart.yaml").read_text())
    assert (chart["version"], chart["appVersion"]) == ("1.2.3", "2.0.0-rc.1")
    label_chart = yaml.safe_load((outside.bin / "stamped" / "manman_label_chart" / "manman-label-chart" / "Chart.yaml").read_text())
    assert (label_chart["version"], label_chart["appVersion"]) == ("3.0.0", "2.0.0-rc.1")

    # `python main.py` on charts_spec/manman.yaml with the same versions: the same bytes.
    doc = yaml.safe_load((REPO / "charts_spec" / "manman.yaml").read_text())
    doc["charts"]["production_chart"].update(version="1.2.3", app_version="2.0.0-rc.1")
    spec = tmp_path / "manman.yaml"
    spec.write_text(yaml.safe_dump(doc, sort_keys=False))
    cli = tmp_path / "cli"
    result = subprocess.run([_python(), str(REPO / "main.py"), str(spec), "--out", str(cli)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    # A stamped package is named without its version (unknown at analysis time).
    problems = _compare_outputs(built, cli, "manman-production-chart", "1.2.3", built_package="manman-production-chart.tgz")
    assert not problems, "\n".join(problems)

    # A new STABLE_ value re-runs the action.
    outside.run("build", "//stamped:manman_production_chart", *stamp, env={"TEST_CHART_VERSION": "1.2.4"})
    assert yaml.safe_load((built / "manman-production-chart" / "Chart.yaml").read_text())["version"] == "1.2.4"

    # Unstamped again: the BUILD's versions, byte-identical to main.py on charts_spec/manman.yaml.
    outside.run("build", "//stamped:manman_production_chart")
    assert yaml.safe_load((built / "manman-production-chart" / "Chart.yaml").read_text())["version"] == "0.1.0"
    problems = _compare_outputs(built, cli_out, "manman-production-chart", "0.1.0")
    assert not problems, "\n".join(problems)


# --- the outside workspace docs/bazel.md gives, verbatim ----------------------------------

DOC_BLOCK = re.compile(r"<!-- outside-workspace: (\S+) -->\n```[a-z]*\n(.*?)```", re.S)


def test_docs_outside_workspace_builds_and_tests_offline(output_user_root, tmp_path_factory):
    """The WORKSPACE, .bazelrc, BUILD and commands of docs/bazel.md, and nothing else."""
    _need_helms()
    snippets = dict(DOC_BLOCK.findall((REPO / "docs" / "bazel.md").read_text()))
    assert set(snippets) == {"WORKSPACE", ".bazelrc", "hello/BUILD.bazel", "commands"}, sorted(snippets)
    placeholders = {
        "/path/to/enhanced-helm-charts": str(REPO),
        "/path/to/wheels": str(_wheels()),
        "/opt/helm/helm3": str(tool("helm3")),
        "/opt/helm/helm4": str(tool("helm4")),
    }
    text = "".join(snippets.values())
    assert all(placeholder in text for placeholder in placeholders), "docs/bazel.md lost a placeholder path"
    workspace = tmp_path_factory.mktemp("docs-ws")
    for name, content in snippets.items():
        if name == "commands":
            continue
        for placeholder, value in placeholders.items():
            content = content.replace(placeholder, value)
        (workspace / name).parent.mkdir(parents=True, exist_ok=True)
        (workspace / name).write_text(content)
    bazel = Bazel(workspace, output_user_root)
    bazel.flags = ["--color=no", "--curses=no"]  # only what the docs say: no --override_repository, no EHC_PYTHON
    try:
        commands = [shlex.split(line) for line in snippets["commands"].splitlines() if line.strip()]
        assert [c[:2] for c in commands] == [["bazel", "build"], ["bazel", "test"]]
        outputs = [bazel.run(c[1], *c[2:], "--test_output=all") if c[1] == "test" else bazel.run(c[1], *c[2:]) for c in commands]
        assert (bazel.bin / "hello" / "hello_web_chart" / "hello-web-chart-0.2.0.tgz").is_file()
        tested = outputs[1].stdout + outputs[1].stderr
        assert "//hello:hello_web_chart_test" in tested and "PASSED" in tested, tested[-3000:]
        assert "ok: Helm 3 (v3." in tested and "ok: Helm 4 (v4." in tested, tested[-3000:]
    finally:
        bazel.shutdown()
