"""`main.py publish DIR oci://HOST/PATH`: push every package a run built to an OCI registry.

The pushing is real `helm push` (Helm 3.8+ or 4), so registry logins (`helm registry
login`), TLS and proxies work as they do for Helm. A chart version already in the
registry is pulled first: the same bytes are pushed again (our packages are
byte-reproducible, so the digest does not change); different bytes are refused
unless --force, because a silently overwritten release is how production breaks.
Nothing is pushed while any chart is refused.

Exit codes: 0 published, 2 bad input or a refused chart, 3 helm or the registry failed.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

import yaml

from ..manifests import find_helm
from ..spec.errors import Problem, SpecError

OCI_TARGET = re.compile(r"^oci://[^/\s]+(/[^\s]*)?$")
DIGEST = re.compile(r"Digest:\s*(sha256:[0-9a-f]{64})")
HELM_TIMEOUT = 120


class RegistryError(Exception):
    """Helm or the registry failed (exit 3), one line naming the chart."""


@dataclass(frozen=True)
class Package:
    path: Path
    name: str
    version: str

    def ref(self, target: str) -> str:
        return f"{target.rstrip('/')}/{self.name}"


def parser() -> argparse.ArgumentParser:
    out = argparse.ArgumentParser(prog="main.py publish", description="Push every chart package of DIR/packages to an OCI registry with helm push.")
    out.add_argument("dist", type=Path, help="the output folder of a run (its packages/), or .tgz files", nargs="+")
    out.add_argument("target", help="oci://HOST[:PORT]/PATH; each chart becomes oci://HOST/PATH/<chart>:<version>")
    out.add_argument("--plain-http", action="store_true", help="talk HTTP, not HTTPS (a local test registry)")
    out.add_argument("--force", action="store_true", help="overwrite a version the registry has with different content")
    out.add_argument("--helm", help="helm binary (default: $HELM, .tools/bin/helm4, .tools/bin/helm3, helm on PATH)")
    return out


def main(argv: list[str]) -> int:
    args = parser().parse_args(argv)
    try:
        return publish(args)
    except RegistryError as exc:
        print(exc, file=sys.stderr)
        return 3


def publish(args: argparse.Namespace) -> int:
    if not OCI_TARGET.match(args.target):
        raise SpecError.one(args.target, "target", "expected oci://HOST[:PORT]/PATH, e.g. oci://ghcr.io/acme/charts")
    packages = [read_package(path) for path in _package_files(args.dist)]
    helm = find_helm(args.helm)
    flags = ["--plain-http"] if args.plain_http else []
    refused = [problem for package in packages if (problem := _conflict(helm, package, args.target, flags, args.force))]
    if refused:
        raise SpecError(refused)
    for package in packages:
        digest = _push(helm, package, args.target, flags)
        print(f"{package.ref(args.target)}:{package.version} {digest}")
    return 0


def _package_files(given: list[Path]) -> list[Path]:
    files = []
    for path in given:
        if path.is_dir():
            folder = path / "packages" if (path / "packages").is_dir() else path
            found = sorted(folder.glob("*.tgz"))
            if not found:
                raise SpecError.one(str(path), "publish", "no chart packages (*.tgz) here or in its packages/ folder")
            files += found
        elif path.suffix == ".tgz" and path.is_file():
            files.append(path)
        else:
            raise SpecError.one(str(path), "publish", "expected the output folder of a run or a chart package (.tgz)")
    return files


def read_package(path: Path) -> Package:
    """Name and version from the package's Chart.yaml."""
    try:
        with tarfile.open(path) as tar:
            member = next((m for m in tar.getmembers() if m.name.count("/") == 1 and m.name.endswith("/Chart.yaml")), None)
            if member is None:
                raise SpecError.one(str(path), "", "not a Helm chart package (no <chart>/Chart.yaml)")
            chart = yaml.safe_load(tar.extractfile(member).read())
    except (tarfile.TarError, OSError, yaml.YAMLError) as exc:
        raise SpecError.one(str(path), "", f"cannot read the package ({exc})") from None
    return Package(path, str(chart.get("name", "")), str(chart.get("version", "")))


def _helm(helm: str, package: Package, *args: str) -> subprocess.CompletedProcess:
    try:
        return subprocess.run([helm, *args], capture_output=True, text=True, timeout=HELM_TIMEOUT, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise RegistryError(f"{package.path}: helm {args[0]} failed ({exc})") from None


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else "no output"


def _conflict(helm: str, package: Package, target: str, flags: list[str], force: bool) -> Problem | None:
    """A problem when the registry holds this version with other bytes (and not --force)."""
    with tempfile.TemporaryDirectory() as scratch:
        pulled = _helm(helm, package, "pull", package.ref(target), "--version", package.version, "--destination", scratch, *flags)
        if pulled.returncode != 0:
            if "not found" in pulled.stderr.lower():
                return None  # a new version
            raise RegistryError(f"{package.path}: helm pull {package.ref(target)}:{package.version} failed: {_last_line(pulled.stderr)}")
        (existing,) = Path(scratch).glob("*.tgz")
        if existing.read_bytes() == package.path.read_bytes() or force:
            return None
    return Problem(
        str(package.path),
        f"{package.name} {package.version}",
        f"{package.ref(target)}:{package.version} exists with different content; bump the chart version (or --force to overwrite it)",
    )


def _push(helm: str, package: Package, target: str, flags: list[str]) -> str:
    result = _helm(helm, package, "push", str(package.path), target.rstrip("/"), *flags)
    found = DIGEST.search(result.stdout + result.stderr)
    if result.returncode != 0 or not found:
        raise RegistryError(f"{package.path}: helm push to {target} failed: {_last_line(result.stderr or result.stdout)}")
    return found.group(1)
