"""Bazel action of enhanced_helm_chart_release.bzl: run the generator on one chart's spec.

    PYTHON generate_chart.py --label //pkg:target --spec S.json (--main main.py --node NODE | --generator EXE)
        --package OUT.tgz --chart-dir OUT_DIR --manifest OUT.k8s.yaml

Runs `python main.py S.json --out SCRATCH --quiet` with the interpreter running this
script (or the given generator executable), then copies the one chart it wrote
to the paths Bazel declared. The generator's `SPEC: KEY: message` errors are
rewritten to name the BUILD target instead of the generated JSON file: the chart
target (`//pkg:domain_chart: charts.CHART.custom_values."a.b": ...`), or, for an
app's settings, the release_app target (`//pkg:app: settings.port: ...`). Sets what jsii needs inside a sandbox: a writable
HOME, TMPDIR and jsii package cache (unless JSII_RUNTIME_PACKAGE_CACHE_ROOT is
given via --action_env), and `--node` (an action input, given relative to the
execution root so the action key has no absolute path) as jsii's JSII_NODE.
Exit code: the generator's, or 3 for a setup problem.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REQUIRED_MODULES = ("cdk8s", "cdk8s_plus_28", "constructs", "yaml")
# release_app attributes (and macro arguments) that land in the app's spec entry;
# any other key there came from the release_app's `settings`.
RELEASE_APP_ATTRIBUTES = ("image", "tag", "type", "language", "description", "binary_target", "hook", "command")
# The generator's one-line error: KEY (dotted, segments maybe quoted) ": " message.
KEY_MESSAGE = re.compile(r'((?:[^:"\s]|"(?:[^"\\]|\\.)*")+): (.*)')


class Namer:
    """Turns the generator's `SPEC: KEY: message` lines into `//BUILD:target: KEY: message`."""

    def __init__(self, label: str, specs: list[Path], release_apps: dict[str, str], stamped: dict[str, str]):
        self.label = label
        self.prefixes = sorted({f"{p}: " for spec in specs for p in (str(spec), os.path.abspath(spec))}, key=len, reverse=True)
        self.release_apps = release_apps
        self.stamped = stamped  # chart field -> workspace status key

    def line(self, line: str) -> str:
        prefix = next((p for p in self.prefixes if line.startswith(p)), None)
        if prefix is None:
            return line
        rest = line[len(prefix) :]
        match = KEY_MESSAGE.fullmatch(rest)
        if not match:
            return f"{self.label}: {rest}"
        key, message = match.groups()
        parts = key.split(".", 2)
        if parts[0] == "apps" and len(parts) >= 2 and parts[1] in self.release_apps:
            setting = parts[2] if len(parts) == 3 else ""
            if setting and setting.split(".")[0].strip('"') not in RELEASE_APP_ATTRIBUTES:
                setting = "settings." + setting
            where = f"{setting}: " if setting else ""
            return f'{self.release_apps[parts[1]]}: {where}{message} (release_app of app "{parts[1]}", in chart {self.label})'
        if parts[0] == "charts" and len(parts) == 3 and parts[2] in self.stamped:
            message += f" (stamped from workspace status {self.stamped[parts[2]]})"
        return f"{self.label}: {key}: {message}"


def _fail(label: str, message: str) -> int:
    print(f"{label}: {message}", file=sys.stderr)
    return 3


def _environment(scratch: Path, node: Path | None) -> dict[str, str]:
    env = dict(os.environ)
    if node is not None:
        env["JSII_NODE"] = os.path.abspath(node)  # abspath, not resolve(): the input is a symlink
    for var, sub in (("HOME", "home"), ("TMPDIR", "tmp"), ("XDG_CACHE_HOME", "cache")):
        (scratch / sub).mkdir()
        env[var] = str(scratch / sub)
    if not env.get("JSII_RUNTIME_PACKAGE_CACHE_ROOT"):
        env["JSII_RUNTIME_PACKAGE_CACHE_ROOT"] = str(scratch / "cache" / "jsii")
    env["PYTHONDONTWRITEBYTECODE"] = "1"  # sources are symlinks into the source tree
    return env


def _read_status(path: Path) -> dict[str, str]:
    """Bazel's workspace status file: one `KEY value` per line."""
    status = {}
    for line in path.read_text().splitlines():
        key, _, value = line.partition(" ")
        status[key] = value.strip()
    return status


def _stamped_spec(spec: Path, status_file: Path, stamps: list[str], folder: Path) -> tuple[Path, dict[str, str]]:
    """The spec with the chart's version fields taken from the workspace status (absent/empty keys: unchanged)."""
    status = _read_status(status_file)
    document = json.loads(spec.read_text())
    (chart,) = document["charts"].values()
    used = {}
    for stamp in stamps:
        field, _, key = stamp.partition("=")
        if status.get(key):
            chart[field] = status[key]
            used[field] = key
    folder.mkdir()
    stamped = folder / spec.name  # same file name: the generator's output does not depend on the folder
    stamped.write_text(json.dumps(document, indent=1) + "\n")
    return stamped, used


def _only(folder: Path, what: str) -> Path:
    found = sorted(folder.iterdir()) if folder.is_dir() else []
    if len(found) != 1:
        raise RuntimeError(f"expected one {what} in {folder}, found {[p.name for p in found]}")
    return found[0]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--label", required=True)
    parser.add_argument("--spec", required=True, type=Path)
    parser.add_argument("--main", type=Path)
    parser.add_argument("--generator", type=Path)
    parser.add_argument("--node", type=Path, help="the node executable jsii runs (default: node on PATH, or $JSII_NODE)")
    parser.add_argument("--package", required=True, type=Path)
    parser.add_argument("--chart-dir", required=True, type=Path)
    parser.add_argument("--manifest", required=True, type=Path)
    parser.add_argument("--status-file", type=Path, help="stable-status.txt of a --stamp build")
    parser.add_argument("--stamp", action="append", default=[], help="FIELD=KEY: the chart's FIELD from workspace status KEY")
    parser.add_argument("--release-app", action="append", default=[], help="APP=LABEL: the release_app target of APP")
    args = parser.parse_args()

    if args.generator:
        # abspath, not resolve(): the executable finds its runfiles next to its own path.
        command = [os.path.abspath(args.generator)]
    else:
        missing = [m for m in REQUIRED_MODULES if importlib.util.find_spec(m) is None]
        if missing:
            return _fail(
                args.label,
                f"the generator's Python ({sys.executable}) lacks {', '.join(missing)}: the --@enhanced_helm_charts//tools:python "
                "target must have requirements.txt installed (see docs/bazel.md)",
            )
        command = [sys.executable, str(args.main)]
    if args.node is not None:
        if not os.access(args.node, os.X_OK):
            return _fail(args.label, f"node ({args.node}, of --@enhanced_helm_charts//tools:python) is not executable")
    elif shutil.which("node", path=os.environ.get("PATH")) is None and not os.environ.get("JSII_NODE"):
        return _fail(args.label, "node is not on the action's PATH (jsii runs cdk8s on Node); see docs/bazel.md")

    # jsii (Node) wants absolute paths; abspath, not resolve(): inputs may be symlinks.
    scratch = Path(os.path.abspath(tempfile.mkdtemp(prefix=".ehc-", dir=args.package.parent)))
    try:
        out = scratch / "out"
        spec, stamped = args.spec, {}
        if args.stamp:
            spec, stamped = _stamped_spec(args.spec, args.status_file, args.stamp, scratch / "spec")
        release_apps = dict(item.split("=", 1) for item in args.release_app)
        namer = Namer(args.label, [args.spec, spec], release_apps, stamped)
        result = subprocess.run(
            [*command, str(spec), "--out", str(out), "--quiet"], env=_environment(scratch, args.node), stderr=subprocess.PIPE, text=True, check=False
        )
        for line in result.stderr.splitlines():
            print(namer.line(line), file=sys.stderr)
        if result.returncode == 2:
            return 2  # bad input: the lines above say what, naming the target and key
        if result.returncode != 0:
            print(f"{args.label}: the generator failed (exit {result.returncode}) on {args.spec}", file=sys.stderr)
            return result.returncode
        package = _only(out / "packages", "package")
        chart = _only(out / "charts", "chart directory")
        manifest = _only(out / "manifests", "manifest")
        shutil.copyfile(package, args.package)
        shutil.copyfile(manifest, args.manifest)
        args.chart_dir.mkdir(parents=True, exist_ok=True)
        for entry in chart.iterdir():
            target = args.chart_dir / entry.name
            if entry.is_dir():
                shutil.copytree(entry, target)
            else:
                shutil.copyfile(entry, target)
        return 0
    except (OSError, RuntimeError) as exc:
        return _fail(args.label, f"cannot collect the generator's output: {exc}")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
