"""Atomic output: a failed run leaves the previous output as it was; concurrent runs never mix;
a run replaces only the charts it builds.

Each chart's manifest, chart folder and package are built in a staging folder
inside --out and swapped in, all charts together, under a lock only after every chart built.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, run_cli

import constructs_lib.pipeline as pipeline
from constructs_lib import cli

SPEC = """\
domain: shop
charts:
  first:
    apps: [cart_api]
  second:
    apps: [mail_worker]
  third:
    apps: [report_api]
    features: {pdb: true}
"""


def tree(root: Path, with_stat: bool = False) -> dict:
    """Every file and folder under root: bytes, and optionally inode and mtime."""
    out = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if path.is_dir():
            out[rel + "/"] = None
            continue
        stat = path.stat()
        out[rel] = (path.read_bytes(), stat.st_ino, stat.st_mtime_ns) if with_stat else path.read_bytes()
    return out


@pytest.fixture
def previous(tmp_path):
    """A spec with three charts and an output folder already holding an earlier run (plus a user's file)."""
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC.replace("cart_api", "old_api"))
    out = tmp_path / "out"
    assert cli.main([str(spec), "--out", str(out)]) == 0
    (out / "NOTES-by-a-user.txt").write_text("mine")
    spec.write_text(SPEC)
    return spec, out, tree(out, with_stat=True)


def test_an_internal_error_on_the_third_chart_leaves_the_previous_output(previous, monkeypatch, capsys):
    spec, out, before = previous
    real, calls = pipeline.build_chart, []

    def third_fails(model):
        calls.append(model.key)
        if len(calls) == 3:
            raise RuntimeError("boom on the third chart")
        return real(model)

    monkeypatch.setattr(pipeline, "build_chart", third_fails)
    assert cli.main([str(spec), "--out", str(out)]) == 3
    assert calls == ["first", "second", "third"]
    assert "boom on the third chart" in capsys.readouterr().err
    assert tree(out, with_stat=True) == before


def test_a_write_failure_midway_leaves_the_previous_output(previous, monkeypatch):
    spec, out, before = previous
    real, written = pipeline._write, []

    def disk_full(path, data):
        if len(written) == 7:
            raise OSError(28, "No space left on device")
        written.append(path)
        real(path, data)

    monkeypatch.setattr(pipeline, "_write", disk_full)
    assert cli.main([str(spec), "--out", str(out)]) == 3
    assert tree(out, with_stat=True) == before  # no staging folder left either


def test_a_failed_swap_puts_the_previous_folders_back(previous, monkeypatch):
    spec, out, before = previous
    real, moves = os.rename, []

    def second_chart_fails(src, dst):
        moves.append((Path(src).name, Path(dst).name))
        if Path(src).name == "shop-second" and ".staging-" in str(src):
            raise OSError(5, "Input/output error")
        return real(src, dst)

    monkeypatch.setattr(pipeline.os, "rename", second_chart_fails)
    assert cli.main([str(spec), "--out", str(out)]) == 3
    assert ("shop-first", "shop-first") in moves  # the first chart had been swapped in already
    assert tree(out, with_stat=True) == before


def test_a_spec_error_in_the_third_chart_through_the_cli_changes_nothing(previous):
    spec, out, before = previous
    spec.write_text(SPEC.replace("features: {pdb: true}", "features: {pdb: yes please}"))
    result = run_cli(spec, "--out", out)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [f"{spec}: charts.third.features.pdb: expected true or false (boolean or string), got 'yes please'"]
    assert tree(out, with_stat=True) == before


def test_a_successful_run_replaces_its_charts_whole(previous):
    spec, out, _ = previous
    assert cli.main([str(spec), "--out", str(out), "--quiet"]) == 0
    after = tree(out)
    assert after["NOTES-by-a-user.txt"] == b"mine"
    assert not any("old-api" in path for path in after)  # the earlier run's apps are gone, not merged
    assert {p.split("/")[0] for p in after} == {"NOTES-by-a-user.txt", "charts", "manifests", "packages"}


OTHER = """\
domain: search
charts:
  index:
    version: 2.0.0
    apps: [query_api]
"""


def test_a_second_spec_into_the_same_folder_keeps_the_first_ones_charts(previous, tmp_path):
    _, out, before = previous
    other = tmp_path / "search.yaml"
    other.write_text(OTHER)
    alone = tmp_path / "alone"
    assert cli.main([str(other), "--out", str(alone), "--quiet"]) == 0
    assert cli.main([str(other), "--out", str(out), "--quiet"]) == 0
    after = tree(out)
    assert {k: v for k, v in after.items() if "search-index" not in k} == {k: v[0] for k, v in before.items() if v} | {
        k: None for k, v in before.items() if v is None
    }
    assert {k: v for k, v in after.items() if "search-index" in k} == {k: v for k, v in tree(alone).items() if "search-index" in k}
    assert not [p for p in after if p.startswith(".")]  # no lock or staging folder left behind


def test_a_new_version_replaces_the_charts_old_package_only(previous):
    spec, out, _ = previous
    (out / "packages" / "shop-first-extra-0.1.0.tgz").write_bytes(b"another chart's package")
    spec.write_text(SPEC.replace("  first:\n", "  first:\n    version: 0.2.0\n"))
    assert cli.main([str(spec), "--out", str(out), "--quiet"]) == 0
    packages = sorted(p.name for p in (out / "packages").iterdir())
    assert packages == ["shop-first-0.2.0.tgz", "shop-first-extra-0.1.0.tgz", "shop-second-0.1.0.tgz", "shop-third-0.1.0.tgz"]


def test_clean_leaves_only_this_runs_charts(previous, tmp_path):
    _, out, _ = previous
    other = tmp_path / "search.yaml"
    other.write_text(OTHER)
    assert cli.main([str(other), "--out", str(out), "--clean", "--quiet"]) == 0
    assert (out / "NOTES-by-a-user.txt").read_text() == "mine"
    assert sorted(p.relative_to(out).as_posix() for folder in pipeline.OWNED for p in (out / folder).iterdir()) == [
        "charts/search-index",
        "manifests/search-index.k8s.yaml",
        "packages/search-index-2.0.0.tgz",
    ]


def test_concurrent_runs_into_one_output_never_mix(tmp_path):
    """Two runs building the same charts differently, started together, three rounds: the result is one whole run."""
    changed = []
    for name in ("manman.yaml", "myapp.yaml"):
        changed.append(tmp_path / f"changed-{name}")
        changed[-1].write_text((ROOT / "charts_spec" / name).read_text().replace("description: ", "description: Changed "))
    specs = {"a": [ROOT / "charts_spec" / "manman.yaml", ROOT / "charts_spec" / "myapp.yaml"], "b": changed}
    expected = {}
    for name, paths in specs.items():
        result = run_cli(*paths, "--out", tmp_path / f"alone-{name}")
        assert result.returncode == 0, result.stderr
        expected[name] = tree(tmp_path / f"alone-{name}")
    assert expected["a"] != expected["b"]
    shared = tmp_path / "shared"
    winners = []
    for _ in range(3):
        runs = [
            subprocess.Popen(
                [sys.executable, str(ROOT / "main.py"), *map(str, paths), "--out", str(shared)],
                cwd=ROOT,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for paths in specs.values()
        ]
        for run in runs:
            _, err = run.communicate(timeout=300)
            assert run.returncode == 0, err
        final = tree(shared)
        assert final in (expected["a"], expected["b"]), sorted(set(final) ^ set(expected["a"]))[:10]
        assert not [p for p in final if p.startswith(".staging-")]
        winners.append("a" if final == expected["a"] else "b")
    assert len(winners) == 3
