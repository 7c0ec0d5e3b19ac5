"""Specs → synthesized manifests, Helm charts and packages; written atomically.

Everything is built in memory first, so bad input never touches the output
directory; then each owned folder is swapped into place under a lock.
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

from .bindings import Bound
from .chart import DomainChart, SwitchedOffChart
from .helm_chart import chart_files, dump_yaml
from .model import ChartModel
from .package import package_chart
from .spec import load_models  # noqa: F401 - re-exported: it lives in spec so validation never starts jsii

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
    templated = _pair(objects, chart.bound)
    switched_off = SwitchedOffChart(cdk8s.App(), model)
    if switched_off.bound:  # objects off by default still need their (guarded) templates
        templated += _pair(switched_off.to_json(), switched_off.bound)
    files = chart_files(model, templated)
    return ChartBuild(model, objects, files, package_chart(model.name, files))


def _pair(objects: list[dict], bound: list[Bound]) -> list[tuple[dict, Bound]]:
    """Each synthesized object with the bindings its construct recorded."""
    by_identity = {(o["kind"], o["metadata"]["name"]): o for o in objects}
    return [(by_identity[(b.kind, b.name)], b) for b in bound]


def build_all(models: list[ChartModel], progress=None) -> list[ChartBuild]:
    """Manifests, chart files and package of every model; `progress(done, total)` after each."""
    builds = []
    for done, model in enumerate(models, 1):
        builds.append(build_chart(model))
        if progress:
            progress(done, len(models))
    return builds


def write_manifests_only(builds: list[ChartBuild], outdir: Path) -> None:
    """What `cdk8s synth` expects in CDK8S_OUTDIR: one <chart>.k8s.yaml per chart."""
    outdir.mkdir(parents=True, exist_ok=True)
    for build in builds:
        (outdir / f"{build.model.name}.k8s.yaml").write_text(build.manifest_yaml)


def write_outputs(builds: list[ChartBuild], outdir: Path) -> None:
    """Replace DIR/manifests, DIR/charts and DIR/packages as one unit."""
    outdir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=outdir))
    try:
        for build in builds:
            name = build.model.name
            _write(staging / "manifests" / f"{name}.k8s.yaml", build.manifest_yaml.encode())
            for rel, data in build.files.items():
                _write(staging / "charts" / name / rel, data)
            _write(staging / "packages" / build.package_name, build.package)
        for folder in OWNED:
            (staging / folder).mkdir(exist_ok=True)
        with open(outdir / ".lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # concurrent runs swap one after the other
            _swap_in(staging, outdir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _swap_in(staging: Path, outdir: Path) -> None:
    """Move the staged folders into place; if one move fails, put the previous ones back."""
    started = []
    try:
        for folder in OWNED:
            target, old = outdir / folder, staging / f"old-{folder}"
            started.append(folder)
            if target.exists():
                os.rename(target, old)
            os.rename(staging / folder, target)
    except BaseException:
        for folder in reversed(started):
            target, old, new = outdir / folder, staging / f"old-{folder}", staging / folder
            if not new.exists() and target.exists():  # the new folder is in place: take it out
                os.rename(target, new)
            if old.exists():
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
