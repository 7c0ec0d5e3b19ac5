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

from .chart import DomainChart, everything_enabled, needs_everything_enabled
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


def synthesize(model: ChartModel, app: cdk8s.App) -> tuple[list[dict], DomainChart]:
    chart = DomainChart(app, model)
    return chart.to_json(), chart


def build_chart(model: ChartModel, app: cdk8s.App, scratch: cdk8s.App) -> ChartBuild:
    objects, chart = synthesize(model, app)
    by_identity = {(o["kind"], o["metadata"]["name"]): o for o in objects}
    templated = [(by_identity[(b.kind, b.name)], b) for b in chart.bound]
    if needs_everything_enabled(model):
        # Objects switched off by default still need their (guarded) templates.
        have = {b.template for b in chart.bound}
        forced_objects, forced = synthesize(everything_enabled(model), scratch)
        forced_by_identity = {(o["kind"], o["metadata"]["name"]): o for o in forced_objects}
        templated += [(forced_by_identity[(b.kind, b.name)], b) for b in forced.bound if b.template not in have]
    files = chart_files(model, templated)
    return ChartBuild(model, objects, files, package_chart(model.name, files))


def build_all(models: list[ChartModel], progress=None) -> list[ChartBuild]:
    app, scratch = cdk8s.App(), cdk8s.App()
    builds = []
    for done, model in enumerate(models, 1):
        builds.append(build_chart(model, app, scratch))
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
            for folder in OWNED:
                target, old = outdir / folder, staging / f"old-{folder}"
                if target.exists():
                    os.rename(target, old)
                os.rename(staging / folder, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def terminal_progress(done: int, total: int) -> None:
    """Charts done / total on stderr, only when a person is watching."""
    if sys.stderr.isatty() and total > 1:
        end = "\n" if done == total else ""
        print(f"\rcharts {done}/{total}", end=end, file=sys.stderr, flush=True)
