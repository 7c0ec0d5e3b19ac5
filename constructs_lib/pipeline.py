"""Specs → synthesized manifests, Helm charts and packages; written atomically.

Everything is built in memory first, so bad input never touches the output
directory; then each chart's manifest, chart folder and package are swapped
into place together under a lock on the directory.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import cdk8s

from .constructs.bindings import Bound
from .constructs.chart import DomainChart, SwitchedOffChart
from .helm.helm_chart import chart_files, dump_yaml
from .helm.package import package_chart
from .spec.model import ChartModel
from .spec.parse import SEMVER, load_models  # noqa: F401 - re-exported: it lives in spec so validation never starts jsii

OWNED = ("manifests", "charts", "packages")


@dataclass(frozen=True)
class ChartBuild:
    model: ChartModel
    objects: list[dict]  # the synthesized manifests
    files: dict[str, bytes]  # the Helm chart directory
    package: bytes  # the .tgz

    @property
    def manifest_yaml(self) -> str:
        return manifests_yaml(self.objects)

    @property
    def package_name(self) -> str:
        return f"{self.model.name}-{self.model.version}.tgz"


def manifests_yaml(objects: list[dict]) -> str:
    return "---\n".join(dump_yaml(obj) for obj in objects)


def build_chart(model: ChartModel) -> ChartBuild:
    # Fresh Apps per chart: cdk8s resolves dependencies and validates the whole App
    # on every chart.to_json(), so one shared App costs O(charts^2). The jsii kernel
    # (the start-up cost) is per process and still started once.
    chart = DomainChart(cdk8s.App(), model)
    objects = chart.to_json()
    templated = pair_objects(objects, chart.bound)
    switched_off = SwitchedOffChart(cdk8s.App(), model)
    if switched_off.bound:  # objects off by default still need their (guarded) templates
        templated += pair_objects(switched_off.to_json(), switched_off.bound)
    files = chart_files(model, templated)
    return ChartBuild(model, objects, files, package_chart(model.name, files))


def by_kind_and_name(objects: list[dict]) -> dict[tuple[str, str], dict]:
    """Synthesized objects by (kind, name): how a construct's record names its object."""
    return {(o["kind"], o["metadata"]["name"]): o for o in objects}


def pair_objects(objects: list[dict], bound: list[Bound]) -> list[tuple[dict, Bound]]:
    """Each synthesized object with the bindings its construct recorded."""
    by_identity = by_kind_and_name(objects)
    return [(by_identity[(b.kind, b.name)], b) for b in bound]


def build_all(models: list[ChartModel], progress=None) -> list[ChartBuild]:
    """Manifests, chart files and package of every model; `progress(done, total)` after each."""
    builds = []
    for done, model in enumerate(models, 1):
        builds.append(build_chart(model))
        if progress:
            progress(done, len(models))
    return builds


def write_manifests_only(builds: list[ChartBuild], outdir: Path) -> dict[str, list[Path]]:
    """What `cdk8s synth` expects in CDK8S_OUTDIR: one <chart>.k8s.yaml per chart. Returns the paths by chart."""
    outdir.mkdir(parents=True, exist_ok=True)
    written = {}
    for build in builds:
        path = outdir / f"{build.model.name}.k8s.yaml"
        path.write_text(build.manifest_yaml)
        written[build.model.name] = [path]
    return written


def write_outputs(builds: list[ChartBuild], outdir: Path, clean: bool = False) -> dict[str, list[Path]]:
    """Write each chart's manifests, chart folder and package into DIR as one unit, replacing
    only those charts (other charts in DIR stay); `clean` replaces the three folders whole.
    Returns the paths written by chart."""
    outdir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=outdir))
    try:
        written = {}
        for build in builds:
            entries = _chart_entries(build)
            written[build.model.name] = [outdir / rel for rel in entries]
            for rel in entries:
                if rel.parts[0] == "charts":
                    for file, data in build.files.items():
                        _write(staging / rel / file, data)
                else:
                    _write(staging / rel, build.manifest_yaml.encode() if rel.parts[0] == "manifests" else build.package)
        lock = os.open(outdir, os.O_RDONLY)
        try:
            fcntl.flock(lock, fcntl.LOCK_EX)  # concurrent runs swap one after the other
            _swap_in(_replacements(builds, staging, outdir, clean), staging)
        finally:
            os.close(lock)
        return written
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _chart_entries(build: ChartBuild) -> list[Path]:
    """What one chart owns in DIR, relative to it."""
    name = build.model.name
    return [Path("manifests", f"{name}.k8s.yaml"), Path("charts", name), Path("packages", build.package_name)]


def _replacements(builds: list[ChartBuild], staging: Path, outdir: Path, clean: bool) -> list[tuple[Path, Path | None]]:
    """(target in DIR, staged replacement or None to remove) for every path this run replaces."""
    if clean:
        for folder in OWNED:
            (staging / folder).mkdir(exist_ok=True)
        return [(outdir / folder, staging / folder) for folder in OWNED]
    moves: list[tuple[Path, Path | None]] = []
    for build in builds:
        entries = _chart_entries(build)
        moves += [(outdir / rel, staging / rel) for rel in entries]
        packages = outdir / "packages"
        stale = packages.glob(f"{build.model.name}-*.tgz") if packages.is_dir() else ()
        moves += [(old, None) for old in sorted(stale) if old.name != entries[2].name and _is_package_of(old.name, build.model.name)]
    return moves


def _is_package_of(file: str, chart: str) -> bool:
    """`shop-web-1.2.0.tgz` is shop-web's; `shop-web-api-0.1.0.tgz` is not (a version starts with a digit)."""
    version = file.removeprefix(f"{chart}-").removesuffix(".tgz")
    return SEMVER.match(version) is not None


def _swap_in(moves: list[tuple[Path, Path | None]], staging: Path) -> None:
    """Put each staged path in place (the previous one into staging); if one move fails, undo them all."""
    trash = staging / ".previous"
    done: list[tuple[Path, Path | None, Path | None]] = []
    try:
        for index, (target, new) in enumerate(moves):
            old = trash / str(index) if os.path.lexists(target) else None
            if old is not None:
                old.parent.mkdir(exist_ok=True)
            done.append((target, new, old))
            if old is not None:
                os.rename(target, old)
            if new is not None:
                target.parent.mkdir(parents=True, exist_ok=True)
                os.rename(new, target)
    except BaseException:
        for target, new, old in reversed(done):
            if new is not None and not new.exists() and os.path.lexists(target):  # the new one is in place: take it out
                os.rename(target, new)
            if old is not None and old.exists():
                os.rename(old, target)
        raise


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def terminal_progress(done: int, total: int) -> None:
    """Charts done / total on stderr, only when a person is watching."""
    if sys.stderr.isatty() and total > 1:
        end = "\n" if done == total else ""
        print(f"\rcharts {done}/{total}", end=end, file=sys.stderr, flush=True)
