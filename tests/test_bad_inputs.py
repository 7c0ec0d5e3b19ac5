"""The error contract on bad input, through the real CLI.

Every file in tests/bad_inputs/ is one kind of bad input. Its first line says what
the error must name: `# expect: KEY | words of the message`; files that cannot
carry a comment (empty, binary, JSON) are listed in NO_COMMENT instead. Each must
exit 2 with exactly one stderr line `FILE: KEY: message`, no traceback, nothing on
stdout and no output directory. Spec errors are found before cdk8s is imported,
so these runs do not start jsii and take about 0.2 s each.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
import tracemalloc

import pytest
from conftest import ROOT, run_cli

from constructs_lib import cli
from constructs_lib.spec.errors import SpecError
from constructs_lib.spec.loader import load_spec_file

BAD = ROOT / "tests" / "bad_inputs"
NO_COMMENT = {
    "empty.yaml": ("<document>", "empty document"),
    "utf16.yaml": ("<document>", "binary file"),
    "invalid.json": ("<document>", "invalid JSON at line 1"),
    "deep_nesting.json": ("<document>", "nests deeper than 100 levels"),
    "top_level_list.json": ("<document>", "got a list"),
    "duplicate_key.json": ("charts.web.apps", "duplicate key"),
    "lone_surrogate.json": ("charts.web.description", "lone surrogate"),
}


def expectation(path) -> tuple[str, str]:
    if path.name in NO_COMMENT:
        return NO_COMMENT[path.name]
    first = path.read_bytes().split(b"\n", 1)[0].decode()
    assert first.startswith("# expect: "), f"{path.name}: first line must be `# expect: KEY | message words`"
    key, _, words = first.removeprefix("# expect: ").partition(" | ")
    return key, words


CASES = sorted(p.name for p in BAD.iterdir())


def test_the_table_covers_many_kinds_of_bad_input():
    assert len(CASES) >= 25
    assert set(NO_COMMENT) <= set(CASES)
    keys = {expectation(BAD / name)[0] for name in CASES}
    assert len(keys) >= 25  # distinct places, not one error 25 times


@pytest.mark.parametrize("name", CASES)
def test_bad_input_exits_2_with_one_line_naming_file_and_key(tmp_path, name):
    path = BAD / name
    key, words = expectation(path)
    out = tmp_path / "out"
    result = run_cli(path, "--out", out, timeout=60)
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"{path}: {key}: "), lines[0]
    assert words in lines[0]
    assert not out.exists()


def test_several_problems_in_several_files_are_reported_together(tmp_path):
    one, two = tmp_path / "one.yaml", tmp_path / "two.yaml"
    one.write_text("domain: shop\ncharts:\n  web:\n    apps:\n      a_api: {replicas: -1, port: '80', colour: red}\n")
    two.write_text("domain: shop\ncharts:\n  web:\n    apps: [b_api]\n  api:\n    features: {pdb: maybe}\n    apps: [c_api]\n")
    result = run_cli(one, two, "--out", tmp_path / "out")
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"{one}: charts.web.apps.a_api.colour: unknown key; expected one of: affinity, args, command, container, dnsConfig, enabled, env, "
        "envFrom, healthPath, hostAliases, image, imagePullSecrets, initContainers, lifecycle, nodeSelector, podAnnotations, podLabels, "
        "podSecurityContext, podSpec, port, ports, priorityClassName, probes, replicas, resources, runtimeClassName, securityContext, "
        "serviceAccount, sidecars, terminationGracePeriodSeconds, tolerations, topologySpreadConstraints, type, volumeMounts, volumes, zoneSpread",
        f"{one}: charts.web.apps.a_api.port: expected an integer, got a string",
        f"{one}: charts.web.apps.a_api.replicas: expected at least 0, got -1",
        f"{two}: charts.api.features.pdb: expected true or false (boolean or string), got 'maybe'",
    ]
    assert not (tmp_path / "out").exists()


def test_a_chart_defined_in_two_files_names_the_second(tmp_path):
    one, two = tmp_path / "one.yaml", tmp_path / "two.yaml"
    for path in (one, two):
        path.write_text("domain: shop\ncharts:\n  web:\n    apps: [a_api]\n")
    result = run_cli(one, two, "--out", tmp_path / "out")
    assert result.returncode == 2
    assert result.stderr.splitlines() == [f"{two}: charts.web: chart shop-web is also defined in {one}"]


def test_a_missing_spec_path(tmp_path):
    path = tmp_path / "nope.yaml"
    result = run_cli(path, "--out", tmp_path / "out")
    assert result.returncode == 2
    assert result.stderr.splitlines() == [f"{path}: <document>: cannot read file (No such file or directory)"]


def test_a_folder_stands_for_its_spec_files(tmp_path):
    specs = tmp_path / "specs"
    specs.mkdir()
    result = run_cli(specs, "--out", tmp_path / "out")
    assert result.returncode == 2
    assert result.stderr.splitlines() == [f"{specs}: <document>: folder has no spec files (.yaml, .yml, .json)"]
    (specs / "a.yaml").write_text("domain: shop\ncharts: {web: {apps: [cart_api]}}\n")
    (specs / "b.json").write_text('{"domain": "search", "charts": {"index": {"apps": ["query_api"]}}}')
    (specs / "notes.txt").write_text("not a spec")
    result = run_cli(specs, "--out", tmp_path / "out", "--quiet")
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in (tmp_path / "out" / "charts").iterdir()) == ["search-index", "shop-web"]


def test_bad_input_never_starts_jsii():
    """Validation needs neither cdk8s nor the jsii runtime (a Node process, ~1.5 s)."""
    code = (
        "import sys; from constructs_lib.cli import main\n"
        f"assert main([{str(BAD / 'replicas_negative.yaml')!r}, '--out', '/nonexistent/out']) == 2\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in ('jsii', 'cdk8s', 'constructs', 'cdk8s_plus_28'))\n"
        "assert not loaded, loaded\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr


def test_alias_bomb_fails_fast_in_little_memory():
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    tracemalloc.start()
    start = time.perf_counter()
    with pytest.raises(SpecError) as err:
        load_spec_file(BAD / "alias_bomb.yaml")
    elapsed = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert "alias bomb" in str(err.value)
    assert elapsed < 1.0, elapsed
    assert peak < 5 * 2**20, peak  # bytes allocated while loading (10^10 nodes if expanded)
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before < 50 * 2**10  # KiB


def test_aliases_below_the_absolute_cap_still_cannot_multiply_a_small_file(tmp_path):
    """6 levels of 10 aliases: 10^6 nodes from a 600-byte file, under the 1M-node cap on its own."""
    lines = ["domain: shop", "charts:", "  web:", "    apps:", "      a_api:", "        tolerations:", "        - &t0 {key: a}"]
    lines += [f"        - &t{i} [" + ", ".join([f"*t{i - 1}"] * 10) + "]" for i in range(1, 6)]
    path = tmp_path / "spec.yaml"
    path.write_text("\n".join(lines) + "\n")
    start = time.perf_counter()
    with pytest.raises(SpecError, match="alias bomb"):
        load_spec_file(path)
    assert time.perf_counter() - start < 1.0


def test_yaml_merge_keys_are_not_duplicate_keys(tmp_path):
    path = tmp_path / "spec.yaml"
    apps = "      a_api: &base {replicas: 3, port: 8080}\n      b_api:\n        <<: *base\n        port: 9000\n"
    path.write_text("domain: shop\ncharts:\n  web:\n    apps:\n" + apps)
    doc = load_spec_file(path)
    assert doc["charts"]["web"]["apps"]["b_api"] == {"replicas": 3, "port": 9000}


def test_internal_error_exits_3_with_one_line_and_a_hint(monkeypatch, capsys, tmp_path):
    spec = tmp_path / "spec.yaml"
    spec.write_text("domain: shop\ncharts:\n  web:\n    apps: [a_api]\n")

    def broken(models, progress=None):
        raise RuntimeError("something broke\nsecond line")

    import constructs_lib.pipeline as pipeline

    monkeypatch.setattr(pipeline, "build_all", broken)
    assert cli.main([str(spec), "--out", str(tmp_path / "out")]) == 3
    err = capsys.readouterr().err
    assert err.splitlines() == ["internal error: RuntimeError: something broke (rerun with --debug for the traceback)"]
    assert not (tmp_path / "out").exists()
    assert cli.main([str(spec), "--out", str(tmp_path / "out"), "--debug"]) == 3
    assert "Traceback" in capsys.readouterr().err


def test_internal_error_through_the_cli_has_no_traceback(tmp_path):
    """An output path that is a file: the build succeeds, writing fails, exit 3 in one line."""
    spec, out = tmp_path / "spec.yaml", tmp_path / "out"
    spec.write_text("domain: shop\ncharts:\n  web:\n    apps: [a_api]\n")
    out.write_text("not a directory")
    result = run_cli(spec, "--out", out)
    assert result.returncode == 3
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("internal error: ") and lines[0].endswith("(rerun with --debug for the traceback)")
    assert out.read_text() == "not a directory"


def test_a_python_without_the_projects_packages_says_how_to_set_up(tmp_path):
    """`cdk8s synth` on a bare machine runs main.py with whatever python3 there is."""
    env = {**os.environ, "EHCF_NO_REEXEC": "1"}  # -S (no site-packages) must survive: no -O re-exec
    result = subprocess.run([sys.executable, "-S", str(ROOT / "main.py"), "--out", str(tmp_path)], capture_output=True, text=True, env=env)
    assert result.returncode == 3
    (line,) = result.stderr.splitlines()
    assert line.startswith("yaml, cdk8s, cdk8s_plus_28, kubernetes_validate not installed for ")
    assert line.endswith(": run scripts/setup.sh, then use .venv/bin/python")
    assert not list(tmp_path.iterdir())
