"""go_yaml writes what Helm's toYaml writes, byte for byte, checked with real Helm 3 and 4.

Templates print a value the values still hold unchanged as go_yaml's text, and toYaml's
once it changed (helm_templates._Emitter.as_yaml): if the two disagreed, a reviewer's
diff would flip between them. So the values here are drawn to hit what go-yaml treats
specially (keys with digit runs, underscores and capitals for its key order; strings
that read as numbers, booleans or null; quantities), and every one go_yaml accepts is
compared with `toYaml` of the same value read from a values file.
"""

from __future__ import annotations

import json
import random

import pytest
from conftest import EVERY_SHAPE_SPEC, EXAMPLE_CHARTS, run_helm

from constructs_lib import parse_spec
from constructs_lib.cli import default_specs
from constructs_lib.helm import go_yaml, helm_templates
from constructs_lib.pipeline import build_all, load_models, write_outputs

CASES = 400
# Keys go_yaml writes start with a letter; few prefixes, so that keys of one mapping often
# differ only where go-yaml's order differs from code-point order (digits, `_` vs capitals).
PREFIXES = ("a", "x1", "runAs", "app.kubernetes.io/")
SUFFIXES = ("", "_", "B", "b", "Z", "0", "1", "2", "9", "10", "01", "007", "00", ".", "/", "-", "x", "1a", "10b")
STRINGS = ("ALL", "x", "y", "Y", "yes", "No", "on", "OFF", "true", "False", "null", "NULL", "~", "", "1", "10", "0.5", "007",
           "100m", "256Mi", "1Gi", "1.5Gi", "1e3", "0x1F", "2024-01-01", "a b", "-x", ".x", "a:b", "RuntimeDefault", "/health",
           "a/b.c_d-e", "é")  # fmt: skip
SCALARS = (*STRINGS, True, False, 0, 7, 10001, -3, 1 << 40, None, 1.5)


def key(rng: random.Random) -> str:
    return rng.choice(PREFIXES) + rng.choice(SUFFIXES) + rng.choice(("", "", rng.choice(SUFFIXES)))


def draw(rng: random.Random, depth: int = 0):
    """A mapping of 1 to 5 entries, whose values are mostly scalars, sometimes nested."""

    def value():
        roll = rng.random()
        if depth < 2 and roll < 0.2:
            return draw(rng, depth + 1)
        if depth < 2 and roll < 0.35:
            return [rng.choice(SCALARS) if rng.random() < 0.6 else draw(rng, depth + 1) for _ in range(rng.randint(0, 3))]
        return rng.choice(SCALARS)

    return {key(rng): value() for _ in range(rng.randint(1, 5))}


def accepted_values() -> list[dict]:
    """CASES mappings go_yaml is sure of, drawn deterministically."""
    rng, values = random.Random(17), []
    while len(values) < CASES:
        value = draw(rng)
        if go_yaml.lines(value) is not None:
            values.append(value)
    return values


def reordered(value) -> bool:
    """Whether go-yaml's key order differs from plain sorting somewhere in value."""
    if isinstance(value, dict):
        return sorted(value) != sorted(value, key=go_yaml._natural_key) or any(map(reordered, value.values()))
    return isinstance(value, list) and any(map(reordered, value))


def test_go_yaml_writes_what_toyaml_writes(helm, tmp_path):
    values = accepted_values()
    chart = tmp_path / "chart"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text(json.dumps({"apiVersion": "v2", "name": "toyaml", "version": "0.1.0"}))
    (chart / "values.yaml").write_text(json.dumps({f"c{i}": v for i, v in enumerate(values)}))
    template = "".join(f"#case {i}\n{{{{ toYaml .Values.c{i} }}}}\n" for i in range(len(values)))
    (chart / "templates" / "cases.yaml").write_text(template)
    rendered = run_helm(helm, "template", "r", chart).stdout.split("#case ")[1:]
    assert len(rendered) == CASES
    for text, value in zip(rendered, values, strict=True):
        index, body = text.split("\n", 1)
        assert body.rstrip("\n").split("\n") == go_yaml.lines(value), (index, value)
    assert sum(map(reordered, values)) > 25  # the drawn keys did reach go-yaml's own key order
    assert sum('"' in line for value in values for line in go_yaml.lines(value)) > 50  # and its quoting


def test_go_yaml_refuses_what_it_cannot_match():
    for value in ({"v": 1.5}, {"v": "a b"}, {"v": "é"}, {"v": "-x"}, {"v": None}, {"v": 1 << 60}, {"v": [[1]]}, {"1e3": 1}):
        assert go_yaml.lines(value) is None, value


@pytest.mark.parametrize("knob", ["", "--set-string=shop.apps.cart_api.resources.limits.cpu=2"])
def test_charts_render_the_same_bytes_with_and_without_the_literal_defaults(helm, tmp_path, monkeypatch, knob):
    models = [*load_models(default_specs()), *parse_spec(EVERY_SHAPE_SPEC, "every-shape.yaml")]
    write_outputs(build_all(models), tmp_path / "literal")
    monkeypatch.setattr(helm_templates, "LITERAL_WHEN_UNCHANGED", False)
    write_outputs(build_all(models), tmp_path / "toyaml")
    literal_text = (tmp_path / "literal" / "charts" / "shop-all" / "templates" / "_helpers.tpl").read_text()
    assert "{{- if eq (toJson $app.resources)" in literal_text  # the fast path is there to compare
    for name in (*EXAMPLE_CHARTS, "shop-all"):
        args = [knob] if knob and name == "shop-all" else []
        outputs = [run_helm(helm, "template", "r", tmp_path / side / "charts" / name, *args).stdout for side in ("literal", "toyaml")]
        assert outputs[0] == outputs[1], name
