"""`main.py diff`: object matching, field paths, noise, exit codes, with the real helm 3 and 4."""

import copy
import json

import pytest
import yaml
from conftest import run_cli

from constructs_lib.manifests import Noise
from constructs_lib.migrate.diff import ABSENT, Change, Item, compare, compare_objects, format_path

DEMO, MANMAN = "demo-api-chart", "manman-production-chart"


def deployment(name="web", containers=None, labels=None, **spec):
    containers = containers or [{"name": "app", "image": "web:1", "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]}]
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "labels": labels or {"app.kubernetes.io/name": name}},
        "spec": {"template": {"spec": {"containers": containers}}, **spec},
    }


def paths(changes):
    return [format_path(c.path) for c in changes]


# ---- field comparison -------------------------------------------------------------


def test_named_items_are_matched_by_name_so_reordering_is_no_difference():
    pod = {
        "containers": [
            {"name": "app", "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}], "ports": [{"name": "http", "containerPort": 80}]},
            {"name": "sidecar", "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}, {"name": "tmp", "mountPath": "/cache"}]},
        ],
        "volumes": [{"name": "tmp", "emptyDir": {}}, {"name": "cfg", "configMap": {"name": "c"}}],
    }
    shuffled = copy.deepcopy(pod)
    for key in ("containers", "volumes"):
        shuffled[key].reverse()
    shuffled["containers"][1]["env"].reverse()
    shuffled["containers"][0]["volumeMounts"].reverse()  # same volume twice: matched by mountPath
    assert compare(pod, shuffled) == []


def test_a_changed_item_is_named_by_its_key_with_old_and_new_values():
    old = {"containers": [{"name": "app", "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]}, {"name": "x"}]}
    new = copy.deepcopy(old)
    new["containers"][0]["env"][1]["value"] = "3"
    new["containers"][0]["env"].append({"name": "C", "value": "4"})
    del new["containers"][1]
    assert compare(old, new) == [
        Change(("containers", Item("name", "app"), "env", Item("name", "B"), "value"), "2", "3"),
        Change(("containers", Item("name", "app"), "env", Item("name", "C")), ABSENT, {"name": "C", "value": "4"}),
        Change(("containers", Item("name", "x")), {"name": "x"}, ABSENT),
    ]
    assert paths(compare(old, new)) == ["containers[name=app].env[name=B].value", "containers[name=app].env[name=C]", "containers[name=x]"]


def test_types_that_kubernetes_keeps_apart_differ():
    assert paths(compare({"port": 80}, {"port": "80"})) == ["port"]  # a string targetPort is a port name
    assert paths(compare({"on": True}, {"on": 1})) == ["on"]
    assert compare({"cpu": 1}, {"cpu": 1.0}) == []


def test_a_renamed_only_container_is_compared_in_place_other_items_are_not():
    old = {"containers": [{"name": "webshop", "image": "a"}], "volumes": [{"name": "config", "configMap": {}}]}
    new = {"containers": [{"name": "app", "image": "b"}], "volumes": [{"name": "tmp", "emptyDir": {}}]}
    assert paths(compare(old, new)) == ["containers[0].name", "containers[0].image", "volumes[name=config]", "volumes[name=tmp]"]


def test_lists_without_keys_compare_by_position_and_scalar_lists_whole():
    old = {"rules": [{"host": "a"}], "command": ["run", "--fast"]}
    new = {"rules": [{"host": "a"}, {"host": "b"}], "command": ["--fast", "run"]}
    assert paths(compare(old, new)) == ["rules[1]", "command"]


def test_odd_keys_are_quoted_in_paths():
    assert format_path(("metadata", "labels", "app.kubernetes.io/name")) == 'metadata.labels["app.kubernetes.io/name"]'


# ---- object sets and noise ----------------------------------------------------------


def test_release_labels_and_namespace_are_noise_unless_strict():
    old = deployment()
    new = copy.deepcopy(old)
    new["metadata"]["namespace"] = "apps"
    new["metadata"]["labels"].update({"helm.sh/chart": "web-1.0.0", "app.kubernetes.io/managed-by": "Helm", "app.kubernetes.io/instance": "r"})
    new["spec"]["template"]["metadata"] = {"labels": {"app.kubernetes.io/instance": "r"}}
    assert compare_objects([old], [new], Noise()).equal
    report = compare_objects([old], [new], Noise.strict(), namespace="apps")
    assert [format_path(c.path) for c in report.changed[0].changes] == [
        'metadata.labels["helm.sh/chart"]',
        'metadata.labels["app.kubernetes.io/managed-by"]',
        'metadata.labels["app.kubernetes.io/instance"]',
        "metadata.namespace",
        "spec.template.metadata",
    ]


def test_selectors_are_never_noise():
    old = deployment(selector={"matchLabels": {"app.kubernetes.io/instance": "a"}})
    new = deployment(selector={"matchLabels": {"app.kubernetes.io/instance": "b"}})
    report = compare_objects([old], [new], Noise())
    assert paths(report.changed[0].changes) == ['spec.selector.matchLabels["app.kubernetes.io/instance"]']


def test_ignore_label_and_annotation_and_server_fields():
    old = deployment()
    new = copy.deepcopy(old)
    new["metadata"].update(annotations={"team/owner": "x"}, uid="123", resourceVersion="9", managedFields=[{}])
    new["metadata"]["labels"]["team"] = "shop"
    new["status"] = {"replicas": 2}
    assert not compare_objects([old], [new], Noise()).equal
    assert compare_objects([old], [new], Noise().plus(labels=["team"], annotations=["team/owner"])).equal


def test_match_renamed_pairs_objects_of_the_same_kind_by_similarity():
    olds = [deployment("a", replicas=1), deployment("b", replicas=5)]
    news = [deployment("a2", replicas=1), deployment("b2", replicas=5)]
    report = compare_objects(olds, news, Noise(), match_renamed=True)
    assert not report.added and not report.removed
    assert [(d.old[2], d.new[2]) for d in report.changed] == [("a", "a2"), ("b", "b2")]
    assert paths(report.changed[0].changes) == ["metadata.name", 'metadata.labels["app.kubernetes.io/name"]']


# ---- the command, with the real helm ------------------------------------------------


@pytest.mark.helm
def test_a_chart_equals_itself_its_package_and_its_synth(helm, example_out):
    chart, package = example_out / "charts" / MANMAN, next((example_out / "packages").glob(f"{MANMAN}-*.tgz"))
    manifests = example_out / "manifests" / f"{MANMAN}.k8s.yaml"
    for old, new, extra in ((chart, chart, ["--strict"]), (package, chart, ["--strict"]), (chart, manifests, [])):
        result = run_cli("diff", old, new, "--helm", helm, *extra)
        assert result.returncode == 0, result.stdout + result.stderr
        assert result.stdout.endswith("no differences: 0 added, 0 removed, 0 changed, 15 unchanged\n")


@pytest.mark.helm
def test_strict_shows_what_only_a_release_knows(helm, example_out):
    result = run_cli(
        "diff", example_out / "manifests" / f"{DEMO}.k8s.yaml", example_out / "charts" / DEMO, "--helm", helm, "--strict", "--output", "json"
    )
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    assert {c["path"] for d in report["changed"] for c in d["changes"]} == {
        'metadata.labels["app.kubernetes.io/instance"]',
        'metadata.labels["app.kubernetes.io/managed-by"]',
        'metadata.labels["helm.sh/chart"]',
        "metadata.namespace",
    }


@pytest.mark.helm
def test_two_different_charts_name_added_and_removed_objects(helm, example_out):
    old, new = example_out / "charts" / DEMO, example_out / "packages" / "myapp-dev-chart-0.1.0.tgz"
    result = run_cli("diff", old, new, "--helm", helm)
    assert result.returncode == 1, result.stderr
    lines = result.stdout.splitlines()
    assert lines[:2] == [f"--- {old}", f"+++ {new}"]
    assert lines[2:] == [
        "- removed Deployment/demo-api-chart-hello-api",
        "- removed HTTPRoute/demo-api-chart-route",
        "- removed Ingress/demo-api-chart-ingress",
        "- removed Service/demo-api-chart-hello-api-service",
        "- removed ServiceMonitor/demo-api-chart-hello-api-monitor",
        "+ added   Deployment/myapp-dev-chart-api-server",
        "+ added   Service/myapp-dev-chart-api-server-service",
        "2 added, 5 removed, 0 changed, 0 unchanged",
    ]
    as_json = json.loads(run_cli("diff", old, new, "--helm", helm, "--output", "json").stdout)
    assert as_json["equal"] is False and as_json["changed"] == [] and as_json["unchanged"] == 0
    assert as_json["added"] == [
        {"kind": "Deployment", "name": "myapp-dev-chart-api-server"},
        {"kind": "Service", "name": "myapp-dev-chart-api-server-service"},
    ]


@pytest.mark.helm
def test_set_on_the_chart_side_shows_the_changed_fields(helm, example_out):
    manifests = example_out / "manifests" / f"{DEMO}.k8s.yaml"
    result = run_cli(
        "diff", manifests, example_out / "charts" / DEMO, "--helm", helm, "--set", "demo.apps.hello_api.replicas=5", "--set", "global.env.X=y"
    )
    assert result.returncode == 1, result.stderr
    assert result.stdout.splitlines()[2:] == [
        "~ changed Deployment/demo-api-chart-hello-api",
        "    spec.replicas: 2 -> 5",
        '    spec.template.spec.containers[name=app].env: (absent) -> [{"name": "X", "value": "y"}]',
        "0 added, 0 removed, 1 changed, 4 unchanged",
    ]


@pytest.mark.helm
def test_a_route_change_shows_as_its_field(helm, example_out):
    manifests = example_out / "manifests" / f"{DEMO}.k8s.yaml"
    result = run_cli("diff", manifests, example_out / "charts" / DEMO, "--helm", helm, "--set", "demo.apps.hello_api.gateway.path=/v2")
    assert result.returncode == 1, result.stderr
    assert result.stdout.splitlines()[2:] == [
        "~ changed HTTPRoute/demo-api-chart-route",
        '    spec.rules[0].matches[0].path.value: "/hello-api" -> "/v2"',
        "0 added, 0 removed, 1 changed, 4 unchanged",
    ]


@pytest.mark.helm
def test_helm_comes_from_the_environment_when_not_given(helm, example_out):
    chart = example_out / "charts" / DEMO
    assert run_cli("diff", chart, chart, env={"HELM": str(helm)}).returncode == 0
    missing = run_cli("diff", chart, chart, env={"HELM": "/nonexistent/helm"})
    assert missing.returncode == 2
    assert missing.stderr == "/nonexistent/helm: HELM: helm not found or not executable\n"


@pytest.mark.helm
def test_a_chart_that_fails_to_render_is_bad_input(helm, example_out):
    chart = example_out / "charts" / DEMO
    result = run_cli("diff", chart, chart, "--helm", helm, "--set", "demo.apps.hello_api.replicas=many")
    assert result.returncode == 2
    assert result.stderr.startswith(f"{chart}: helm template: ")
    assert "replicas" in result.stderr and "Traceback" not in result.stderr


def test_reordered_manifests_are_equal(example_out, tmp_path):
    source = example_out / "manifests" / f"{MANMAN}.k8s.yaml"
    objects = list(yaml.safe_load_all(source.read_text()))
    for obj in objects:
        for container in obj.get("spec", {}).get("template", {}).get("spec", {}).get("containers", []):
            container.get("env", []).reverse()
            container.get("ports", []).reverse()
    shuffled = tmp_path / "shuffled.yaml"
    shuffled.write_text(yaml.safe_dump_all(reversed(objects)))
    result = run_cli("diff", source, shuffled)
    assert result.returncode == 0, result.stdout
    objects[0]["spec"]["template"]["spec"]["containers"][0]["env"][0]["value"] = "staging"
    shuffled.write_text(yaml.safe_dump_all(objects))
    result = run_cli("diff", source, shuffled, "--output", "json")
    assert result.returncode == 1
    changed = json.loads(result.stdout)["changed"]
    assert changed == [
        {
            "kind": "Deployment",
            "name": "manman-production-chart-experience-api",
            "changes": [{"path": "spec.template.spec.containers[name=app].env[name=APP_ENV].value", "old": "production", "new": "staging"}],
        }
    ]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "{old}: <document>: no such file: expected a chart directory, a .tgz or a manifests file"),
        ("kind: [", "{old}: <document>: invalid YAML at line "),
        ("- a\n- b\n", "{old}: document 1: expected a Kubernetes object with kind and metadata.name"),
        ("kind: Service\nmetadata: {name: a}\n---\nkind: Service\nmetadata: {name: a}\n", "{old}: Service/a: the same object appears twice"),
    ],
)
def test_bad_input_exits_2_with_one_line(tmp_path, example_out, content, expected):
    old = tmp_path / "old.yaml"
    if content is not None:
        old.write_text(content)
    result = run_cli("diff", old, example_out / "manifests" / f"{DEMO}.k8s.yaml")
    assert result.returncode == 2
    assert result.stderr.startswith(expected.format(old=old)) and result.stderr.count("\n") == 1


def test_values_need_a_chart_and_a_directory_needs_chart_yaml(tmp_path, example_out):
    manifests = example_out / "manifests" / f"{DEMO}.k8s.yaml"
    result = run_cli("diff", manifests, manifests, "--set", "a=b")
    assert (result.returncode, result.stderr) == (2, f"{manifests}: -f/--set: values apply to charts only, and this is a manifests file\n")
    result = run_cli("diff", tmp_path, manifests)
    assert result.returncode == 2 and "a directory without Chart.yaml" in result.stderr
