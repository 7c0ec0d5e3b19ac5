"""What every app's templates share lives once: logic blocks in `_helpers.tpl`, object shapes in
`_shapes.tpl`; checked with real Helm 3 and 4."""

import copy
import re
import shutil

import pytest
import yaml
from conftest import EVERY_SHAPE_SPEC, by_identity, render, run_helm, strip_release_fields

from constructs_lib import parse_spec
from constructs_lib.helm import helm_chart, object_shapes
from constructs_lib.pipeline import build_all, write_outputs

DEFINE = re.compile(r'\{\{- define "([^"]+)" \}\}')
INCLUDE = re.compile(r'\{\{- include "([^"]+)" \$ctx \}\}')


def every_shape(copies: int) -> dict:
    """EVERY_SHAPE_SPEC with each app repeated `copies` times (cart_api, cart_api_2, ...)."""
    spec = copy.deepcopy(EVERY_SHAPE_SPEC)
    chart = spec["charts"]["all"]
    chart["apps"] = {f"{key}{'' if n == 1 else f'_{n}'}": settings for n in range(1, copies + 1) for key, settings in chart["apps"].items()}
    return spec


def chart_files(spec: dict) -> dict[str, str]:
    (build,) = build_all(parse_spec(spec, "spec.yaml"))
    return {path: data.decode() for path, data in build.files.items()}


def test_the_helpers_do_not_grow_with_the_number_of_apps():
    few, many = chart_files(every_shape(1)), chart_files(every_shape(3))
    defined = DEFINE.findall(few["templates/_helpers.tpl"])
    assert len(defined) > 20
    assert few["templates/_helpers.tpl"] == many["templates/_helpers.tpl"]
    included = {name for path, text in many.items() if path.startswith("templates/") for name in INCLUDE.findall(text)}
    assert included == set(defined)  # every block is used, and none is missing


def test_an_apps_templates_hold_its_fields_and_the_helpers_its_logic():
    files = chart_files(every_shape(1))
    deployment = files["templates/cart-api-deployment.yaml"]
    assert "range" not in deployment and "mergeOverwrite" not in deployment
    assert "name: shop-all-cart-api" in deployment
    helpers = files["templates/_helpers.tpl"]
    assert "shop-all-cart-api" not in helpers  # no app's name: the template passes it as $workload
    assert '{{- define "shop-all.env.' in helpers


def test_an_umbrella_of_two_charts_renders_each_as_it_renders_alone(helm, tmp_path):
    """Named templates are global in Helm: a chart's blocks must not meet another's."""
    other = copy.deepcopy(every_shape(1))
    other["charts"]["all"]["apps"]["mail_worker"] = {}  # no health endpoint: other probe blocks
    other["domain"] = "shop2"
    builds = build_all([*parse_spec(every_shape(1), "one.yaml"), *parse_spec(other, "two.yaml")])
    write_outputs(builds, tmp_path / "out")
    umbrella = tmp_path / "umbrella"
    (umbrella / "charts").mkdir(parents=True)
    (umbrella / "templates").mkdir()
    (umbrella / "values.yaml").write_text("{}\n")
    dependencies = []
    for build in builds:
        shutil.copytree(tmp_path / "out" / "charts" / build.model.name, umbrella / "charts" / build.model.name)
        dependencies.append({"name": build.model.name, "version": build.model.version})
    (umbrella / "Chart.yaml").write_text(yaml.safe_dump({"apiVersion": "v2", "name": "umbrella", "version": "0.1.0", "dependencies": dependencies}))
    together = by_identity(render(helm, umbrella))
    alone = {key: obj for build in builds for key, obj in by_identity(render(helm, tmp_path / "out" / "charts" / build.model.name)).items()}
    assert together.keys() == alone.keys()
    for key, obj in alone.items():
        assert strip_release_fields(together[key]) == strip_release_fields(obj), key
    linted = run_helm(helm, "lint", "--strict", "--with-subcharts", umbrella).stdout
    assert "[WARNING]" not in linted and "[ERROR]" not in linted


def test_app_templates_of_one_shape_become_one_include_of_it():
    files = chart_files(every_shape(3))
    shapes = files["templates/_shapes.tpl"]
    folded = [path for path, text in files.items() if path.startswith("templates/") and text.startswith('{{- include "shop-all.')]
    assert len(folded) > 20
    for n in (2, 3):
        assert files[f"templates/cart-api-{n}-deployment.yaml"].count("\n") == 1
        assert f'"cart_api_{n}" "shop-all-cart-api-{n}"' in files[f"templates/cart-api-{n}-deployment.yaml"]
    assert "cart-api" not in shapes and "cart_api" not in shapes  # every name is a parameter


def service(key: str, text: str) -> object_shapes.AppTemplate:
    return object_shapes.AppTemplate(f"templates/{key}.yaml", text, key, "Service")


def test_a_template_whose_shape_would_not_give_it_back_stays_as_it_was():
    same = [service(key, f'{{{{- $app := index .Values "d" "apps" "{key}" }}}}\nname: d-{key.replace("_", "-")}\n') for key in ("a_b", "c_d")]
    texts, shapes = object_shapes.fold("d", same)
    assert set(texts) == {t.path for t in same} and shapes.count("define") == 1
    assert '"apps" (index $names 0) }}' in shapes and "name: {{ index $names 1 }}\n" in shapes
    odd = [service(key, f"name: {key} {{{{ index $names 0 }}}}\n") for key in ("a_b", "c_d")]
    assert object_shapes.fold("d", odd) == ({}, "")


@pytest.mark.parametrize(
    "knobs",
    [
        [],
        ["--set", "shop.apps.cart_api_2.enabled=false", "--set", "shop.apps.mail_worker_3.replicas=4"],
        ["--set", "shop.apps.cart_api_3.autoscaling.enabled=false", "--set", "shop.apps.nightly_2.schedule=@hourly"],
        ["--set", "shop.apps.cart_api_2.serviceAccount.create=true", "--set-string", "global.env.X=1"],
    ],
)
def test_folded_charts_render_the_same_bytes_as_unfolded_ones(helm, tmp_path, monkeypatch, knobs):
    (build,) = build_all(parse_spec(every_shape(3), "spec.yaml"))
    write_outputs([build], tmp_path / "folded")
    monkeypatch.setattr(helm_chart, "fold", lambda chart_name, templates: ({}, ""))
    (plain,) = build_all(parse_spec(every_shape(3), "spec.yaml"))
    write_outputs([plain], tmp_path / "plain")
    assert build.files != plain.files
    outputs = [run_helm(helm, "template", "r", tmp_path / side / "charts" / "shop-all", *knobs).stdout for side in ("folded", "plain")]
    assert outputs[0] == outputs[1]
