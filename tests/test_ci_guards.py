"""CI cannot pass by skipping: with CI set, any skipped test fails the run (tests/conftest.py)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from conftest import ROOT

SKIPPING = 'import pytest\n\n\ndef test_needs_a_tool():\n    pytest.skip("helm9 not installed")\n\n\ndef test_plain():\n    pass\n'


@pytest.mark.parametrize(("ci", "code"), [("", 0), ("true", 1)])
def test_a_skip_is_reported_and_fails_only_in_ci(tmp_path, ci, code):
    (tmp_path / "test_skipping.py").write_text(SKIPPING)
    env = {**os.environ, "CI": ci, "PYTHONPATH": str(ROOT / "tests")}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "conftest", "-q", "test_skipping.py"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == code, result.stdout
    assert "\n  1 skipped: helm9 not installed\n" in result.stdout
    assert "not tested: 1 skipped" in result.stdout


def test_ci_run_sets_ci():
    """The guards in conftest, e2e/conftest and test_bazel read CI; .ci/run is what CI runs."""
    result = subprocess.run(["bash", "-c", 'source <(grep -E "^export CI=" .ci/run) && echo "$CI"'], cwd=ROOT, capture_output=True, text=True)
    assert result.stdout.strip() == "true"
